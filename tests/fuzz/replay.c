/* A main() for the fuzz harnesses without libFuzzer: runs each file named
 * on the command line (every file, for a directory) through
 * LLVMFuzzerTestOneInput once. Built with the host compiler and ASan/UBSan,
 * it replays the corpus as a fast, deterministic regression test. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each input sits in a buffer of exactly its size, as libFuzzer gives it,
 * so that reading one byte past it is an ASan error here too. */
static int run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	FILE *f;
	size_t n;

	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		fprintf(stderr, "replay: %s: read failed\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* Named before it runs: a crash report then follows its name. */
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int only_regular(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Sorted, so that two runs replay in the same order. */
static int run_dir(const char *dir, int *count)
{
	struct dirent **names;
	char path[4096];
	int i, n, err = 0;

	n = scandir(dir, &names, only_regular, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (run_file(path) == 0)
			(*count)++;
		else
			err = -1;
		free(names[i]);
	}
	free(names);
	return err;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, count = 0, err = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count))
				err = 1;
		} else if (run_file(argv[i]) == 0) {
			count++;
		} else {
			err = 1;
		}
	}
	printf("%d inputs\n", count);
	return err;
}
