/*
 * no-ca-bundle.so: preloaded (LD_PRELOAD) by tests/bench/run.sh in rows
 * marked as diagnostics only, to measure what libgit2's start-up costs a
 * hook.  Debian's libgit2 is built with mbedTLS, whose global set-up in
 * git_libgit2_init() parses the whole system CA bundle, in every process,
 * though a hook never opens a TLS connection.  This stands in for that
 * parse and does nothing; everything else runs as it does in production.
 */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);

int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}
