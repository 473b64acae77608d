// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suite.h"

const char *suite_default_dir(void)
{
	struct stat st;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t bl = strlen(DEADPEER_BUILD_DIR);

	/*
	 * Run from its build tree: the clone's own scenarios; installed (even
	 * from a clone that is still there): the shared ones.
	 */
	if (n > 0 && (size_t)n > bl && strncmp(exe, DEADPEER_BUILD_DIR, bl) == 0 && exe[bl] == '/' &&
	    stat(DEADPEER_SOURCE_SCENARIO_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return DEADPEER_SOURCE_SCENARIO_DIR;
	return DEADPEER_SCENARIO_DIR;
}

static int add_file(struct suite *s, const char *path, FILE *err)
{
	struct scenario *sc = scenario_load(path, err);
	size_t n;
	int bad = 0;

	if (!sc)
		return -1;
	n = scenario_variant_count(sc);
	for (size_t i = 0; i < n; i++) {
		struct variant v;
		if (scenario_variant(sc, i, &v, err) < 0) {
			bad = -1;
			break;	/* the same combination error would repeat for every variant */
		}
		variant_release(&v);
	}
	if (bad) {
		scenario_free(sc);
		return -1;
	}
	s->files = xreallocarray(s->files, s->n_files + 1, sizeof(*s->files));
	s->files[s->n_files++] = sc;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int scn_only(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	if (d->d_name[0] == '.')
		return 0;
	if (d->d_type == DT_DIR || d->d_type == DT_UNKNOWN || d->d_type == DT_LNK)
		return 1;	/* perhaps a directory: looked at by add_path */
	return n > 4 && strcmp(d->d_name + n - 4, ".scn") == 0;
}

static bool is_scn(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".scn") == 0;
}

/* A directory on the way from a PATH argument down to the one being read. */
struct dir_frame {
	dev_t dev;
	ino_t ino;
	const char *path;
	const struct dir_frame *up;	/* NULL: the argument itself */
};

/*
 * A file, or a directory's .scn files and subdirectories, in name order.
 * A directory that is already on the way down from the argument (a
 * symbolic link to itself or to a parent) is a loop: reported once, where
 * the link is, and not entered. Returns how many files were added, or -1
 * after an error.
 */
static int add_path(struct suite *s, const char *path, const struct dir_frame *up, int depth, FILE *err)
{
	struct stat st;
	struct dirent **names;
	int n, ret = 0, found = 0;

	if (stat(path, &st) < 0) {
		fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(s, path, err) < 0 ? -1 : 1;
	for (const struct dir_frame *f = up; f; f = f->up)
		if (f->dev == st.st_dev && f->ino == st.st_ino) {
			fprintf(err, "%s: symbolic link loop (same directory as %s)\n", path, f->path);
			return -1;
		}
	if (depth > 8) {
		fprintf(err, "%s: directories nested too deep (a symbolic link loop?)\n", path);
		return -1;
	}
	n = scandir(path, &names, scn_only, by_name);
	if (n < 0) {
		fprintf(err, "%s: cannot read directory: %s\n", path, strerror(errno));
		return -1;
	}
	const struct dir_frame here = { st.st_dev, st.st_ino, path, up };
	for (int i = 0; i < n; i++) {
		char file[4096];
		snprintf(file, sizeof(file), "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names[i]->d_name);
		if (stat(file, &st) == 0 && (S_ISDIR(st.st_mode) || is_scn(names[i]->d_name))) {
			int added = S_ISDIR(st.st_mode) ? add_path(s, file, &here, depth + 1, err)
							: add_file(s, file, err) < 0 ? -1 : 1;
			if (added < 0)
				ret = -1;
			else
				found += added;
		}
		free(names[i]);
	}
	free(names);
	if (depth == 0 && ret == 0 && found == 0) {
		fprintf(err, "%s: no .scn files in this directory\n", path);
		ret = -1;
	}
	return ret < 0 ? -1 : found;
}

/* Two files of one suite with the same scenario name would mix in the report. */
static int check_names(const struct suite *s, FILE *err)
{
	int ret = 0;

	for (size_t i = 0; i < s->n_files; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(scenario_name(s->files[i]), scenario_name(s->files[j])) == 0) {
				fprintf(err, "%s:%d: scenario name '%s' is already used by %s\n",
					scenario_path(s->files[i]), scenario_name_line(s->files[i]),
					scenario_name(s->files[i]), scenario_path(s->files[j]));
				ret = -1;
				break;
			}
	return ret;
}

int suite_load(struct suite *s, char **paths, int n_paths, FILE *err)
{
	int ret = 0;

	s->files = NULL;
	s->n_files = 0;
	if (n_paths == 0)
		ret = add_path(s, suite_default_dir(), NULL, 0, err) < 0 ? -1 : 0;
	for (int i = 0; i < n_paths; i++)
		if (add_path(s, paths[i], NULL, 0, err) < 0)
			ret = -1;
	if (ret == 0)
		ret = check_names(s, err);
	return ret;
}

int suite_load_args(struct suite *s, const char *command, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "deadpeer %s: unknown option '%s'\n", command, argv[i]);
			s->files = NULL;
			s->n_files = 0;
			return -1;
		}
	if (suite_load(s, argv + 1, argc - 1, stderr) < 0) {
		suite_free(s);
		return -1;
	}
	return 0;
}

void suite_free(struct suite *s)
{
	for (size_t i = 0; i < s->n_files; i++)
		scenario_free(s->files[i]);
	free(s->files);
	s->files = NULL;
	s->n_files = 0;
}

