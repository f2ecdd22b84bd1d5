#!/bin/sh
test_description='audit keygen writes an Ed25519 key pair in the C2SP note formats'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'keygen writes PREFIX.key (0600) and PREFIX.vkey and prints the verifier key' '
	policy-check audit keygen --origin git.example.com/policy-check k >out 2>err &&
	test "$(stat -c %a k.key)" = 600 &&
	grep -q "^-----BEGIN PRIVATE KEY-----" k.key &&
	test_cmp out k.vkey &&
	grep -q "wrote k.key" err
'

test_expect_success 'the verifier key is <origin>+<key id>+<base64(0x01 || public key)>' '
	python3 - k.vkey k.key <<-\PY
	import base64, hashlib, subprocess, sys
	name, hex_id, b64 = open(sys.argv[1]).read().strip().split("+", 2)
	raw = base64.b64decode(b64)
	assert name == "git.example.com/policy-check", name
	assert len(raw) == 33 and raw[0] == 1, raw
	assert hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4].hex() == hex_id
	# The public half of the private key, as openssl sees it, is the same key.
	der = subprocess.run(["openssl", "pkey", "-in", sys.argv[2], "-pubout", "-outform", "DER"],
	                     check=True, capture_output=True).stdout
	assert der[-32:] == raw[1:]
	PY
'

test_expect_success 'keygen refuses to overwrite an existing key' '
	cp k.key k.key.orig &&
	test_expect_code 2 policy-check audit keygen --origin other.example/log k 2>err &&
	grep "already exists" err &&
	test_cmp k.key.orig k.key
'

test_expect_success 'keygen refuses an origin that cannot be a key name' '
	test_expect_code 2 policy-check audit keygen --origin "has space" bad 2>err &&
	grep "invalid origin" err &&
	test_expect_code 2 policy-check audit keygen --origin "a+b" bad &&
	test_expect_code 2 policy-check audit keygen --origin "" bad &&
	! test -e bad.key && ! test -e bad.vkey
'

test_expect_success 'keygen without --origin or PREFIX is a usage error' '
	test_expect_code 2 policy-check audit keygen k2 2>err &&
	grep "^usage:" err &&
	test_expect_code 2 policy-check audit keygen --origin x &&
	test_expect_code 2 policy-check audit keygen --origin x a b &&
	test_expect_code 2 policy-check audit keygen --bogus x k3
'

test_expect_success 'an unknown audit subcommand is a usage error' '
	test_expect_code 2 policy-check audit frobnicate 2>err &&
	grep "unknown subcommand" err &&
	test_expect_code 2 policy-check audit
'

test_done
