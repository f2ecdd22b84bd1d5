#!/usr/bin/env python3
"""Verify a policy-check audit log and its signed checkpoint without policy-check.

usage: verify-checkpoint.py VKEY LOG [CHECKPOINT]

VKEY is the verifier key (<origin>+<key id>+<base64>) or a file whose first
line is one; CHECKPOINT defaults to LOG.checkpoint.  The script uses only the
Python standard library (hashlib for SHA-256 and the RFC 6962 tree) and the
openssl command (`openssl pkeyutl -verify -rawin` for the Ed25519 note
signature), so it shares no code with policy-check: an auditor can read all
of it.  It checks:

  - the key id in the verifier key is SHA-256(origin || 0x0A || 0x01 || key)[:4];
  - the checkpoint is a C2SP signed note with a signature line by that key
    name and key id, and the Ed25519 signature over the note text verifies;
  - the checkpoint's origin is the key name, its size is at most the number
    of complete lines in LOG, and the RFC 6962 root of the first `size`
    lines is the signed root;
  - each of those lines is a JSON object whose "seq" is its 0-based index.

Exit status 0 when everything holds, 1 otherwise (the reason on stderr).
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

# DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32-byte key follows.
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def fail(msg):
    print("verify-checkpoint: " + msg, file=sys.stderr)
    sys.exit(1)


def b64(s):
    try:
        return base64.b64decode(s, validate=True)
    except ValueError:
        fail("invalid base64: %r" % s)


def parse_vkey(text):
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        fail("verifier key must be <origin>+<hex key id>+<base64 key>")
    name, hex_id, key = parts
    raw = b64(key)
    if len(raw) != 33 or raw[0] != 0x01:
        fail("verifier key is not an Ed25519 key (0x01 followed by 32 bytes)")
    pub = raw[1:]
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x01" + pub).digest()[:4]
    if key_id.hex() != hex_id.lower():
        fail("key id %s does not match the key (expected %s)" % (hex_id, key_id.hex()))
    return name, key_id, pub


def split_note(note):
    if not note.endswith(b"\n"):
        fail("checkpoint does not end with a newline")
    cut = note.rfind(b"\n\n")
    if cut < 0:
        fail("checkpoint has no blank line before its signatures")
    return note[:cut + 1], note[cut + 2:]


def ed25519_verify(pub, message, signature):
    der = ED25519_SPKI_PREFIX + pub
    pem = (b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(der) +
           b"-----END PUBLIC KEY-----\n")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, data in (("pub.pem", pem), ("msg", message), ("sig", signature)):
            paths[name] = os.path.join(tmp, name)
            with open(paths[name], "wb") as f:
                f.write(data)
        proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub.pem"],
                               "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return proc.returncode == 0


def leaf_hash(line):
    return hashlib.sha256(b"\x00" + line).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(lines):
    """RFC 6962 root, built left to right with a stack of perfect subtrees."""
    if not lines:
        return hashlib.sha256(b"").digest()
    stack = []  # (height, hash), heights strictly decreasing
    for line in lines:
        h, height = leaf_hash(line), 0
        while stack and stack[-1][0] == height:
            h = node_hash(stack.pop()[1], h)
            height += 1
        stack.append((height, h))
    root = stack.pop()[1]
    while stack:
        root = node_hash(stack.pop()[1], root)
    return root


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    vkey_arg, log_path = argv[1], argv[2]
    cp_path = argv[3] if len(argv) == 4 else log_path + ".checkpoint"
    if os.path.exists(vkey_arg):
        with open(vkey_arg) as f:
            vkey_arg = f.readline()
    name, key_id, pub = parse_vkey(vkey_arg)

    with open(cp_path, "rb") as f:
        note = f.read()
    text, sigs = split_note(note)
    signature = None
    for line in sigs.split(b"\n")[:-1]:
        if not line.startswith("\u2014 ".encode()):
            fail("malformed signature line: %r" % line)
        sig_name, _, sig_b64 = line[len("\u2014 ".encode()):].decode().partition(" ")
        raw = b64(sig_b64)
        if sig_name == name and raw[:4] == key_id:
            signature = raw[4:]
    if signature is None:
        fail("%s carries no signature by %s+%s" % (cp_path, name, key_id.hex()))
    if len(signature) != 64 or not ed25519_verify(pub, text, signature):
        fail("the Ed25519 signature on %s does not verify" % cp_path)

    body = text.decode().split("\n")
    if len(body) < 4 or body[0] != name:
        fail("checkpoint origin %r is not the key name %r" % (body[0], name))
    if not body[1].isdigit() or (body[1] != "0" and body[1].startswith("0")):
        fail("checkpoint tree size %r is not a decimal number" % body[1])
    size, root = int(body[1]), b64(body[2])

    with open(log_path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")[:-1]  # the part after the last newline is not a complete line
    if len(lines) < size:
        fail("%s has %d complete lines, the checkpoint covers %d" % (log_path, len(lines), size))
    for i, line in enumerate(lines[:size]):
        try:
            seq = json.loads(line)["seq"]
        except (ValueError, KeyError, TypeError):
            fail("%s:%d is not a JSON record with a seq" % (log_path, i + 1))
        if seq != i:
            fail("%s:%d has seq %r, expected %d" % (log_path, i + 1, seq, i))
    computed = tree_root(lines[:size])
    if computed != root:
        fail("the root of the first %d lines is %s, the checkpoint signs %s" %
             (size, base64.b64encode(computed).decode(), body[2]))
    print("OK: %d records, root %s, signed by %s+%s" % (size, body[2], name, key_id.hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
