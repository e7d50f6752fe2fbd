#!/usr/bin/env python3
"""Seeds of fuzz_geo_mmdb: the test databases (tests/mmdb/*.spec, written by
tests/mkmmdb.pl) whole and corrupted - cut short at many lengths, bytes
flipped in the search tree, the data section and the metadata, metadata
values changed (node count, record size, IP version, type). Each seed is a
mode byte (0: geo.databases, 1: geo.asn) and the file. Deterministic
(Perl's hash order and the build time fixed).
    python3 tests/fuzz/mkcorpus_geo_mmdb.py [OUT_DIR]   (from the repository root)
"""
import hashlib
import os
import random
import subprocess
import sys
import tempfile

MARKER = b"\xab\xcd\xefMaxMind.com"
SEPARATOR = b"\x00" * 16  # between the search tree and the data section


def build(tmp):
    dbs = {}
    for name in ("country", "city", "asn"):
        out = os.path.join(tmp, name + ".mmdb")
        with open("tests/mmdb/%s.spec" % name, "rb") as spec:
            subprocess.run(["perl", "tests/mkmmdb.pl", out], stdin=spec, check=True,
                           env=dict(os.environ, PERL_HASH_SEED="0", PERL_PERTURB_KEYS="0",
                                          SOURCE_DATE_EPOCH="1700000000"))
        dbs[name] = open(out, "rb").read()
    return dbs


def flipped(db, rng, lo, hi, n):
    b = bytearray(db)
    for _ in range(n):
        i = rng.randrange(lo, max(lo + 1, hi))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def variants(db, rng):
    meta = db.rfind(MARKER)
    tree_end = db.find(SEPARATOR)
    data = tree_end + len(SEPARATOR)
    yield db
    for frac in (1, 4, 8, 12, 15):
        yield db[:len(db) * frac // 16]
    for cut in (tree_end, data, data + 7, meta, meta + 5, meta + 20, len(db) - 1):
        yield db[:cut]
    for _ in range(4):
        yield flipped(db, rng, 0, tree_end, 3)      # search tree
        yield flipped(db, rng, data, meta, 3)       # data section
        yield flipped(db, rng, meta + len(MARKER), len(db), 2)  # metadata
    for key, values in ((b"node_count", (b"\xc4\xff\xff\xff\xff", b"\xc1\x00")),
                        (b"record_size", (b"\xa1\x1c", b"\xa1\x20", b"\xa1\x00", b"\xa1\x81")),
                        (b"ip_version", (b"\xa1\x04", b"\xa1\x05")),
                        (b"database_type", (b"\x40", b"\x4cGeoLite2-ASN"))):
        at = db.find(key, meta)
        if at < 0:
            continue
        value = at + len(key)  # a control byte (size in its low 5 bits), then the bytes
        end = value + 1 + (db[value] & 0x1f)
        for v in values:
            yield db[:value] + v + db[end:]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus_geo_mmdb"
    os.makedirs(out, exist_ok=True)
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        dbs = build(tmp)
    n = 0
    for name, db in sorted(dbs.items()):
        modes = (1, 0) if name == "asn" else (0, 1)
        for v in variants(db, rng):
            for mode in modes[:1] if v is not db else modes:
                seed = bytes([mode]) + v
                path = os.path.join(out, hashlib.sha1(seed).hexdigest())
                if not os.path.exists(path):
                    open(path, "wb").write(seed)
                    n += 1
    print("%d seeds in %s" % (n, out))


main()
