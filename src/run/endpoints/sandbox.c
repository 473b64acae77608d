// SPDX-License-Identifier: MIT
/*
 * Sandboxes for application endpoints (see sandbox.h): a cgroup, a PID, IPC
 * and mount namespace per app host, and the session's janitor.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "sandbox.h"

#define RELEASE_WAIT_MS 5000	/* for a killed cgroup to empty */
#define FREEZE_WAIT_MS 2000	/* for a cgroup to report frozen or thawed */

static struct {
	char cgroup[PATH_MAX];		/* the session's cgroup, absolute; "" without a session */
	int cgfd;
	char home[64];			/* /var/tmp/deadpeer.XXXXXX: root's, others may only pass through */
	char suite[PATH_MAX];		/* the {suite} directory in it, under a name nobody can list */
	int janitor_fd;			/* write end of the janitor's pipe; -1: none */
	int done_fd;			/* read end of the pipe the janitor holds until it is done */
	unsigned seq;			/* sandboxes created by this process */
} session = { .cgfd = -1, .janitor_fd = -1, .done_fd = -1 };

/* The mount point of the cgroup v2 hierarchy, from /proc/self/mountinfo. */
static int cgroup2_mount(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), mnt[PATH_MAX], fstype[64];
		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		/* mountinfo escapes blanks as \040: such a mount point is not ours to guess. */
		if (strchr(mnt, '\\') || strlen(mnt) >= len)
			continue;
		snprintf(out, len, "%s", mnt);
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* This process's cgroup v2 path ("/user.slice/..."), from /proc/self/cgroup. */
static int own_cgroup(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 8];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		if (strlen(line + 3) < len) {
			snprintf(out, len, "%s", line + 3);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

static int write_at(int dirfd, const char *file, const char *text)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Kill everything in the cgroup @name under @parent and remove it, waiting
 * for it to empty; cgroups a program made inside it (it may, as root) first.
 */
static void remove_cgroup(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)write_at(fd, "cgroup.kill", "1");
		DIR *d = fdopendir(dup(fd));
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				remove_cgroup(fd, e->d_name);
		if (d)
			closedir(d);
		close(fd);
	}
	for (int waited = 0; waited < RELEASE_WAIT_MS; waited++) {
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			return;
		poll(NULL, 0, 1);
	}
}

/*
 * Remove everything in the directory @dirfd, then close it. Relative to
 * descriptors, never following a link: what programs running as other users
 * left there (and may still be changing) cannot steer it outside.
 */
static void empty_dir(int dirfd, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0 || errno != EISDIR || depth > 64)
			continue;
		int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			empty_dir(sub, depth + 1);
		unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* Remove the directory @path (absolute) and everything in it. */
static void remove_tree(const char *path)
{
	char parent[PATH_MAX];
	const char *name = strrchr(path, '/');

	if (!name || (size_t)(name - path) >= sizeof(parent))
		return;
	snprintf(parent, sizeof(parent), "%.*s", (int)(name - path), path);
	int p = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p < 0)
		return;
	int fd = openat(p, name + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		empty_dir(fd, 0);
	unlinkat(p, name + 1, AT_REMOVEDIR);
	close(p);
}

/* Everything of the session: the sandboxes' cgroups (killing what is left), the parent, {suite}. */
static void session_cleanup(void)
{
	/*
	 * Until the session's cgroup itself is gone: deadpeer's descriptors
	 * close (and wake the janitor) before its workers get their death
	 * signal, so a worker may still create a run's cgroup after a first
	 * look; once the parent is removed, none can.
	 */
	for (int waited = 0; session.cgroup[0] && waited < RELEASE_WAIT_MS; waited += 10) {
		DIR *d = session.cgfd >= 0 ? fdopendir(dup(session.cgfd)) : NULL;
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				remove_cgroup(session.cgfd, e->d_name);
		if (d)
			closedir(d);
		if (rmdir(session.cgroup) == 0 || errno != EBUSY)
			break;
		poll(NULL, 0, 10);
	}
	/* Whatever the programs left there, without following their links. */
	if (session.home[0])
		remove_tree(session.home);
}

/*
 * The janitor: it waits until every copy of the pipe's write end is gone,
 * that is until deadpeer has exited however it did, then removes the
 * session. It is in a session of its own, so a Ctrl-C or a hangup meant
 * for deadpeer's process group does not take it before it is done.
 */
static void NORETURN janitor(int fd, int done)
{
	char c;

	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (chdir("/") < 0)
		_exit(1);
	/*
	 * Hold nothing: a namespace descriptor kept here would keep a run's
	 * namespace alive, and a copy of deadpeer's output would keep whoever
	 * reads it waiting.
	 */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3 && null >= 0; i++)
		dup2(null, i);
	close_all_but((int[]){ fd, done }, 2);
	session.cgfd = open(session.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	session_cleanup();
	_exit(0);	/* closes @done: deadpeer may go */
}

int sandbox_session_begin(char *err, size_t len)
{
	char mnt[PATH_MAX], own[PATH_MAX];
	int p[2], d[2], ret;
	pid_t pid;

	if (session.janitor_fd >= 0)
		return 0;
	ret = cgroup2_mount(mnt, sizeof(mnt));
	if (ret) {
		snprintf(err, len, "application endpoints need the cgroup v2 hierarchy, and none is mounted");
		return ret;
	}
	ret = own_cgroup(own, sizeof(own));
	if (ret) {
		snprintf(err, len, "cannot tell this process's cgroup v2 from /proc/self/cgroup");
		return ret;
	}
	if ((size_t)snprintf(session.cgroup, sizeof(session.cgroup), "%s%s/deadpeer-%d", mnt,
			     strcmp(own, "/") ? own : "", (int)getpid()) >= sizeof(session.cgroup))
		return -ENAMETOOLONG;
	if (mkdir(session.cgroup, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		snprintf(err, len, "cannot create the cgroup %s: %s", session.cgroup, strerror(-ret));
		session.cgroup[0] = 0;
		return ret;
	}
	session.cgfd = open(session.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/*
	 * {suite} is writable by the programs' users (PostgreSQL's template is
	 * built as postgres), so it is 1777; it sits in a directory of root's
	 * that nobody else can list, under a random name, so that no other
	 * user of the machine can find it to plant or swap anything.
	 */
	uint64_t secret[2];
	snprintf(session.home, sizeof(session.home), "/var/tmp/deadpeer.XXXXXX");
	if (session.cgfd < 0 || !mkdtemp(session.home) || chmod(session.home, 0711) < 0 ||
	    getentropy(secret, sizeof(secret)) < 0) {
		ret = -errno;
		snprintf(err, len, "cannot create the session's directories: %s", strerror(-ret));
		goto fail;
	}
	snprintf(session.suite, sizeof(session.suite), "%s/suite-%016llx%016llx", session.home,
		 (unsigned long long)secret[0], (unsigned long long)secret[1]);
	if (mkdir(session.suite, 0700) < 0 || chmod(session.suite, 01777) < 0) {
		ret = -errno;
		snprintf(err, len, "cannot create %s: %s", session.suite, strerror(-ret));
		goto fail;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		ret = -errno;
		snprintf(err, len, "cannot start the janitor: %s", strerror(-ret));
		goto fail;
	}
	if (pipe2(d, O_CLOEXEC) < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		snprintf(err, len, "cannot start the janitor: %s", strerror(-ret));
		goto fail;
	}
	/*
	 * Not our child but its orphan: whoever waits for all of deadpeer's
	 * children (the scheduler) is not kept waiting by it.
	 */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		close(d[0]);
		if (fork() == 0)
			janitor(p[0], d[1]);
		_exit(0);
	}
	close(p[0]);
	close(d[1]);
	if (pid < 0) {
		ret = -errno;
		close(p[1]);
		close(d[0]);
		snprintf(err, len, "cannot start the janitor: %s", strerror(-ret));
		goto fail;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	session.janitor_fd = p[1];
	session.done_fd = d[0];
	return 0;
fail:
	session_cleanup();
	if (session.cgfd >= 0)
		close(session.cgfd);
	session.cgfd = -1;
	session.cgroup[0] = session.suite[0] = session.home[0] = 0;
	return ret;
}

void sandbox_session_end(void)
{
	if (session.janitor_fd < 0)
		return;
	close(session.janitor_fd);
	session.janitor_fd = -1;
	/* The janitor's end of this pipe closes when it has removed everything. */
	char c;
	while (read(session.done_fd, &c, 1) < 0 && errno == EINTR)
		;
	close(session.done_fd);
	session.done_fd = -1;
	close(session.cgfd);
	session.cgfd = -1;
	session.cgroup[0] = session.suite[0] = session.home[0] = 0;
}

const char *sandbox_suite_dir(void)
{
	return session.suite[0] ? session.suite : NULL;
}

/* Into the pipe @fd, for the harness: what went wrong before the command ran. */
static void NORETURN child_fail(int fd, const char *what, int err)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s: %s", what, strerror(err));

	if (n > 0 && write(fd, buf, (size_t)n) < 0)
		_exit(126);
	_exit(126);
}

struct identity {
	bool set;
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int n_groups;
};

/* The command's process: its own session, no terminal, output to the harness. */
static void NORETURN run_command(const struct sandbox_spec *spec, const struct identity *id, int out, int errp)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	setsid();
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		child_fail(errp, "cannot set up the program's standard streams", errno);
	if (chdir("/tmp") < 0)
		child_fail(errp, "chdir /tmp", errno);
	if (id->set && (setgroups((size_t)id->n_groups, id->groups) < 0 || setgid(id->gid) < 0 || setuid(id->uid) < 0))
		child_fail(errp, "cannot switch to the user", errno);
	execvpe(spec->argv[0], spec->argv, spec->envp);
	char what[300];
	snprintf(what, sizeof(what), "cannot run '%s'", spec->argv[0]);
	child_fail(errp, what, errno);
}

/* @path lies strictly below @dir. */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && path[n] == '/';
}

/*
 * A private file system view: tmpfs /tmp, /run, /dev/shm; /proc and /sys of
 * this PID and network namespace. The directories in @keep that a tmpfs
 * would hide are bound back at their place (a scenario kept in /tmp).
 */
static int private_mounts(const char *const *keep)
{
	int held[8];
	size_t n_held = 0;
	static const struct {
		const char *source, *target, *type, *opts;
		unsigned long flags;
		bool optional;
	} m[] = {
		{ "tmpfs", "/tmp", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV, false },
		{ "tmpfs", "/run", "tmpfs", "mode=755", MS_NOSUID | MS_NODEV, false },
		{ "tmpfs", "/dev/shm", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV, true },
		{ "proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, false },
		{ "sysfs", "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, true },
	};

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	for (size_t k = 0; keep && keep[k] && n_held < ARRAY_SIZE(held); k++)
		held[n_held++] = open(keep[k], O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < ARRAY_SIZE(m); i++)
		if (mount(m[i].source, m[i].target, m[i].type, m[i].flags, m[i].opts) < 0 && !m[i].optional)
			return -errno;
	for (size_t k = 0; k < n_held; k++) {
		char from[64];
		bool hidden = false;
		for (size_t i = 0; i < ARRAY_SIZE(m); i++)
			hidden |= strcmp(m[i].type, "tmpfs") == 0 && under(keep[k], m[i].target);
		if (held[k] < 0 || !hidden)
			continue;
		mkdir_p(keep[k]);	/* in the private tmpfs that hides it */
		snprintf(from, sizeof(from), "/proc/self/fd/%d", held[k]);
		if (mount(from, keep[k], NULL, MS_BIND | MS_REC, NULL) < 0)
			return -errno;
		close(held[k]);
	}
	return 0;
}

/*
 * PID 1 of the sandbox: set up the namespaces, start the command, then
 * reap whatever ends in the namespace, telling the harness when the
 * command's own process does. When nothing is left it exits, and the
 * harness reads the end of @ctl.
 */
static void NORETURN sandbox_init(const struct sandbox_spec *spec, const struct identity *id, int out, int ctl,
				  int errp, int go)
{
	int keep[] = { spec->nsfd, out, ctl, errp, go };
	sigset_t none;
	pid_t cmd;
	int ret;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/*
	 * The harness's packet sockets, pipes and other endpoints' descriptors
	 * are not the program's (libpcap's sockets are not close-on-exec).
	 */
	close_all_but(keep, ARRAY_SIZE(keep));
	/* The worker may have died before PR_SET_PDEATHSIG took: then this reads the end of the pipe. */
	if (read(go, &c, 1) != 1)
		_exit(1);
	close(go);
	/* The worker ignores Ctrl-C and blocks signals: the program gets a clean slate. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setns(spec->nsfd, CLONE_NEWNET) < 0)
		child_fail(errp, "cannot enter the host's network namespace", errno);
	ret = private_mounts(spec->keep);
	if (ret)
		child_fail(errp, "cannot make the private /tmp, /run and /proc", -ret);
	cmd = fork();
	if (cmd < 0)
		child_fail(errp, "fork", errno);
	if (cmd == 0)
		run_command(spec, id, out, errp);
	close(out);
	close(errp);
	close(spec->nsfd);
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		if (pid == cmd) {
			struct sandbox_exit e = { mono_ns(), status };
			if (write(ctl, &e, sizeof(e)) < 0)
				break;
		}
	}
	_exit(0);
}

static int lookup_user(const char *name, struct identity *id)
{
	struct passwd *pw;

	if (!name)
		return 0;
	errno = 0;
	pw = getpwnam(name);
	if (!pw)
		return errno ? -errno : -ESRCH;
	id->set = true;
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	id->n_groups = (int)ARRAY_SIZE(id->groups);
	if (getgrouplist(name, pw->pw_gid, id->groups, &id->n_groups) < 0)
		return -E2BIG;
	return 0;
}

int sandbox_start(struct sandbox *sb, const struct sandbox_spec *spec, char *err, size_t len)
{
	struct identity id = { 0 };
	int out[2] = { -1, -1 }, ctl[2] = { -1, -1 }, errp[2] = { -1, -1 }, go[2] = { -1, -1 }, ret;
	char msg[256];

	*sb = (struct sandbox){ .cgfd = -1, .out = -1, .ctl = -1 };
	if (!session.cgroup[0]) {
		snprintf(err, len, "no sandbox session (sandbox_session_begin was not called)");
		return -EINVAL;
	}
	ret = lookup_user(spec->user, &id);
	if (ret) {
		snprintf(err, len, "user '%s': %s", spec->user, ret == -ESRCH ? "no such user" : strerror(-ret));
		return ret;
	}
	snprintf(sb->cgname, sizeof(sb->cgname), "%d.%u", (int)getpid(), session.seq++);
	int parent = open(session.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0 || mkdirat(parent, sb->cgname, 0755) < 0 ||
	    (sb->cgfd = openat(parent, sb->cgname, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ret = -errno;
		if (parent >= 0)
			unlinkat(parent, sb->cgname, AT_REMOVEDIR);
		snprintf(err, len, "cannot create the cgroup %s/%s: %s", session.cgroup, sb->cgname, strerror(-ret));
		if (parent >= 0)
			close(parent);
		sandbox_release(sb);
		return ret;
	}
	close(parent);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(ctl, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(go, O_CLOEXEC) < 0) {
		ret = -errno;
		snprintf(err, len, "pipe: %s", strerror(-ret));
		goto fail;
	}
	struct clone_args ca = {
		.flags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)sb->cgfd,
	};
	fflush(NULL);
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		sandbox_init(spec, &id, out[1], ctl[1], errp[1], go[0]);
	if (pid < 0) {
		ret = -errno;
		snprintf(err, len, "cannot create the sandbox's namespaces: %s", strerror(-ret));
		goto fail;
	}
	sb->init = (pid_t)pid;
	close(out[1]);
	close(ctl[1]);
	close(errp[1]);
	close(go[0]);
	out[1] = ctl[1] = errp[1] = go[0] = -1;
	if (write(go[1], "", 1) < 0)
		ret = -errno;
	close(go[1]);
	go[1] = -1;
	/* Nothing comes through this pipe once the command is running: its end closes at exec. */
	ssize_t n;
	while ((n = read(errp[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
		;
	close(errp[0]);
	sb->out = out[0];
	sb->ctl = ctl[0];
	if (n > 0) {
		msg[n] = 0;
		snprintf(err, len, "%s", msg);
		sandbox_release(sb);
		return -ENOEXEC;
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (ctl[i] >= 0)
			close(ctl[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	sandbox_release(sb);
	return ret;
}

int sandbox_kill(struct sandbox *sb)
{
	if (sb->cgfd < 0)
		return -ESRCH;
	return write_at(sb->cgfd, "cgroup.kill", "1");
}

/* Wait until cgroup.events says "frozen @want". */
static int wait_frozen(int cgfd, bool want)
{
	int fd = openat(cgfd, "cgroup.events", O_RDONLY | O_CLOEXEC), ret = -ETIMEDOUT;
	int64_t end = mono_ns() + (int64_t)FREEZE_WAIT_MS * 1000000;

	if (fd < 0)
		return -errno;
	for (;;) {
		char buf[256];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0) {
			ret = -errno;
			break;
		}
		buf[n] = 0;
		char *f = strstr(buf, "frozen ");
		if (f && (f[7] == '1') == want) {
			ret = 0;
			break;
		}
		int64_t left = (end - mono_ns()) / 1000000;
		if (left <= 0)
			break;
		struct pollfd p = { fd, POLLPRI, 0 };
		poll(&p, 1, (int)left);
	}
	close(fd);
	return ret;
}

int sandbox_freeze(struct sandbox *sb, bool frozen)
{
	int ret;

	if (sb->cgfd < 0)
		return -ESRCH;
	ret = write_at(sb->cgfd, "cgroup.freeze", frozen ? "1" : "0");
	if (!ret)
		ret = wait_frozen(sb->cgfd, frozen);
	if (!ret)
		sb->frozen = frozen;
	return ret;
}

void sandbox_release(struct sandbox *sb)
{
	if (sb->cgfd >= 0) {
		/* The descriptor of the session's cgroup is not inherited by the runs' processes: its path is. */
		int parent = open(session.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(sb->cgfd);
		sb->cgfd = -1;
		/* cgroup.kill reaches frozen processes too. */
		if (parent >= 0) {
			remove_cgroup(parent, sb->cgname);
			close(parent);
		}
	}
	if (sb->init > 0) {
		kill(sb->init, SIGKILL);	/* if the cgroup could not be used */
		while (waitpid(sb->init, NULL, 0) < 0 && errno == EINTR)
			;
		sb->init = 0;
	}
	if (sb->out >= 0)
		close(sb->out);
	if (sb->ctl >= 0)
		close(sb->ctl);
	sb->out = sb->ctl = -1;
	sb->frozen = false;
}
