/* Kernel specs: Debian's prebuilt images, image: paths, and what to boot. */
#include "kernel.h"
#include "util.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian version characters (policy 5.6.12) without the epoch's ':', which
 * no linux-source package has and which would end up in cache paths. The
 * first must be a digit, so that no pin reads as an option. */
static const char *pin_error(const char *v)
{
	if (!*v)
		return "empty version after '='";
	if (strlen(v) >= KERNEL_PIN_MAX)
		return "version longer than 63 characters";
	if (*v < '0' || *v > '9')
		return "a version starts with a digit";
	if (strspn(v, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+~-") != strlen(v))
		return "a version holds only letters, digits and . + ~ -";
	return NULL;
}

struct kernel_spec kernel_spec_parse(const char *spec)
{
	static const struct { const char *prefix; enum kernel_kind kind; } kinds[] = {
		{ "deb:", KERNEL_DEB }, { "image:", KERNEL_IMAGE }, { "src:", KERNEL_SRC },
		{ "git:", KERNEL_GIT }, { "dir:", KERNEL_DIR },
	};
	struct kernel_spec ks = { .kind = KERNEL_UNKNOWN, .arg = spec };
	const char *eq;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(spec, kinds[i].prefix, strlen(kinds[i].prefix))) {
			ks.kind = kinds[i].kind;
			ks.arg = spec + strlen(kinds[i].prefix);
			break;
		}
	ks.arg_len = strlen(ks.arg);
	/* Only src: has a version to pin: a git: or dir: path may hold '='. */
	if (ks.kind == KERNEL_SRC && (eq = strchr(ks.arg, '='))) {
		ks.arg_len = (size_t)(eq - ks.arg);
		ks.error = pin_error(eq + 1);
		if (!ks.error)
			strcpy(ks.pin, eq + 1);
	}
	return ks;
}

bool kernel_spec_needs_build(const char *spec)
{
	enum kernel_kind k = kernel_spec_parse(spec).kind;

	return k == KERNEL_SRC || k == KERNEL_GIT || k == KERNEL_DIR;
}

/* arm64's Image header (Documentation/arch/arm64/booting.rst): the
 * magic "ARM\x64" at 0x38. */
#define ARM64_IMAGE_MAGIC_AT 0x38
#define ARM64_IMAGE_MAX (512u << 20)

static bool arm64_image_header(int fd)
{
	unsigned char hdr[ARM64_IMAGE_MAGIC_AT + 4];

	return pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	       !memcmp(hdr + ARM64_IMAGE_MAGIC_AT, "ARM\x64", 4);
}

/* An arm64 Image is not compressed, and its header has no version: the
 * release is the word after the banner's "Linux version ". */
static int arm64_image_release(const char *path, char *out, size_t len)
{
	static const char banner[] = "Linux version ";
	size_t n, rl;
	char *img = read_file_limited(path, ARM64_IMAGE_MAX, &n);
	const char *p = img ? memmem(img, n, banner, sizeof(banner) - 1) : NULL;
	int rc = -1;

	if (p) {
		p += sizeof(banner) - 1;
		for (rl = 0; p + rl < img + n && p[rl] > ' ' && p[rl] < 0x7f; rl++)
			;
		if (rl && rl < len && p + rl < img + n && p[rl] == ' ') {
			memcpy(out, p, rl);
			out[rl] = '\0';
			rc = 0;
		}
	}
	free(img);
	return rc;
}

bool kernel_image_is_arm64(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	bool arm64 = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && arm64_image_header(fd);

	if (fd >= 0)
		close(fd);
	return arm64;
}

bool kernel_arm64_image_is_whole(const char *path)
{
	char release[128];
	struct stat st;

	/* A link is never whole: the cache holds regular files only. */
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && kernel_image_is_arm64(path) &&
	       arm64_image_release(path, release, sizeof(release)) == 0;
}

int kernel_image_release(const char *bzimage, char *out, size_t len)
{
	/* x86 boot protocol: "HdrS" at 0x202, kernel_version pointer at 0x20e
	 * (relative to 0x200); the string starts with the release. */
	unsigned char hdr[0x210];
	char ver[256];
	FILE *f = fopen(bzimage, "rb");
	uint16_t off;
	size_t n;

	if (!f)
		return -1;
	if (arm64_image_header(fileno(f))) {
		fclose(f);
		return arm64_image_release(bzimage, out, len);
	}
	if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4)) {
		fclose(f);
		return -1;
	}
	off = (uint16_t)(hdr[0x20e] | hdr[0x20f] << 8);
	if (fseek(f, (long)off + 0x200, SEEK_SET) < 0 || !(n = fread(ver, 1, sizeof(ver) - 1, f))) {
		fclose(f);
		return -1;
	}
	fclose(f);
	ver[n] = '\0';
	ver[strcspn(ver, " ")] = '\0';
	if (!ver[0] || strlen(ver) >= len)
		return -1;
	strcpy(out, ver);
	return 0;
}

/* Debian release strings compare by version: 6.12.117+deb12-amd64, 6.1.0-56-amd64. */
static int newer_release(const char *a, const char *b)
{
	return strverscmp(a, b) > 0;
}

static int find_deb_release(const char *series, char *out, size_t len)
{
	DIR *d = opendir("/boot");
	struct dirent *e;
	char prefix[32];
	int found = 0;

	if (!d)
		return -1;
	snprintf(prefix, sizeof(prefix), "vmlinuz-%s.", series);
	while ((e = readdir(d))) {
		const char *rel = e->d_name + strlen("vmlinuz-");
		if (strncmp(e->d_name, prefix, strlen(prefix)) || !strstr(rel, "-amd64"))
			continue;
		/* deb:6.1 must not match 6.12: the char after the series is the next
		 * version component, which for 6.1 is the ".0-NN" part. */
		if (strlen(rel) >= len)
			continue;
		if (!found || newer_release(rel, out)) {
			strcpy(out, rel);
			found = 1;
		}
	}
	closedir(d);
	return found ? 0 : -1;
}

static int resolve_deb(const char *spec, struct kernel *k, char *err, size_t errlen)
{
	const char *series = spec + 4;

	if (strcmp(series, "6.12") && strcmp(series, "6.1")) {
		snprintf(err, errlen, "--kernel %s: Debian kernels are deb:6.12 or deb:6.1", spec);
		return EXIT_USAGE;
	}
	if (find_deb_release(series, k->release, sizeof(k->release)) < 0) {
		snprintf(err, errlen, "--kernel %s: no /boot/vmlinuz-%s.*-amd64; run ./run.sh setup "
			 "(it installs linux-image-%s*-amd64-unsigned)", spec, series, series);
		return EXIT_UNTESTABLE;
	}
	xsnprintf(k->image, sizeof(k->image), "/boot/vmlinuz-%s", k->release);
	xsnprintf(k->modules_dir, sizeof(k->modules_dir), "/lib/modules/%s", k->release);
	xsnprintf(k->config, sizeof(k->config), "/boot/config-%s", k->release);
	return 0;
}

static int parse_image_opts(char *opts, struct kernel *k, const char *spec, char *err, size_t errlen)
{
	char *save, *o;

	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!strncmp(o, "modules=", 8))
			xsnprintf(k->modules_dir, sizeof(k->modules_dir), "%s", o + 8);
		else if (!strncmp(o, "config=", 7))
			xsnprintf(k->config, sizeof(k->config), "%s", o + 7);
		else if (!strncmp(o, "vmlinux=", 8))
			xsnprintf(k->vmlinux, sizeof(k->vmlinux), "%s", o + 8);
		else {
			snprintf(err, errlen, "--kernel %s: unknown option '%s' (modules=, config=, vmlinux=)", spec, o);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* The paths given as image: options must exist. */
static int check_image_opts(const struct kernel *k, const char *spec, char *err, size_t errlen)
{
	const struct {
		const char *what, *path;
	} opts[] = { { "modules dir", k->modules_dir }, { "config", k->config }, { "vmlinux", k->vmlinux } };

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (opts[i].path[0] && !file_exists(opts[i].path)) {
			snprintf(err, errlen, "--kernel %s: %s %s does not exist", spec, opts[i].what, opts[i].path);
			return -1;
		}
	}
	return 0;
}

/* The most an image:'s config may hold (a full one is about 300 KB). */
#define IMAGE_CONFIG_MAX (8u << 20)

/* A line "CONFIG_X=..." or "# CONFIG_X is not set" at text. */
static bool is_config_line(const char *line)
{
	const char *name = !strncmp(line, "# CONFIG_", 9) ? line + 9 : !strncmp(line, "CONFIG_", 7) ? line + 7 : NULL;
	size_t n;

	if (!name)
		return false;
	n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
	if (!n)
		return false;
	return line[0] == '#' ? !strncmp(name + n, " is not set", 11) : name[n] == '=';
}

static bool text_is_config(const char *text)
{
	for (const char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (is_config_line(line))
			return true;
	return false;
}

/* The config goes into the guest's initramfs: it must be a regular file
 * (not a link, FIFO or device) that reads as a kernel config, so that no
 * other host file (/etc/shadow) can travel as one. */
static int check_image_config(const char *path, char *why, size_t len)
{
	char *text = read_regular_file(path, IMAGE_CONFIG_MAX, NULL, why, len);
	bool config = text && text_is_config(text);

	if (text && !config)
		snprintf(why, len, "%s: not a kernel config (no CONFIG_X= or '# CONFIG_X is not set' line)", path);
	free(text);
	return config ? 0 : -1;
}

static int resolve_image(const char *spec, struct kernel *k, char *err, size_t errlen)
{
	char buf[3 * PATH_MAX], why[PATH_MAX + 128], *comma;

	xsnprintf(buf, sizeof(buf), "%s", spec + 6);
	comma = strchr(buf, ',');
	if (comma) {
		*comma = '\0';
		int rc = parse_image_opts(comma + 1, k, spec, err, errlen);
		if (rc)
			return rc;
	}
	xsnprintf(k->image, sizeof(k->image), "%s", buf);
	if (!file_exists(k->image)) {
		snprintf(err, errlen, "--kernel %s: %s does not exist", spec, k->image);
		return EXIT_USAGE;
	}
	if (kernel_image_is_arm64(k->image) || kernel_image_release(k->image, k->release, sizeof(k->release)) < 0) {
		snprintf(err, errlen, "--kernel %s: %s is not a readable x86 bzImage (an arm64 kernel comes from a source "
			 "spec with --arch arm64)", spec, k->image);
		return EXIT_USAGE;
	}
	if (check_image_opts(k, spec, err, errlen))
		return EXIT_USAGE;
	if (k->config[0] && check_image_config(k->config, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--kernel %s: config=%s", spec, why);
		return EXIT_USAGE;
	}
	if (!k->config[0]) {
		/* A built tree keeps .config next to arch/x86/boot/bzImage. */
		char guess[PATH_MAX + 32];
		snprintf(guess, sizeof(guess), "%s/../../../.config", k->image);
		if (file_exists(guess) && check_image_config(guess, why, sizeof(why)) == 0)
			xsnprintf(k->config, sizeof(k->config), "%s", guess);
	}
	return 0;
}

/* Prebuilt kernels boot their bzImage: Debian ships only vmlinuz, and an
 * image:'s vmlinux= is there for decoding, not known to match the image. */
int kernel_resolve_prebuilt(const char *spec, struct kernel *k, char *err, size_t errlen)
{
	enum kernel_kind kind = kernel_spec_parse(spec).kind;
	int rc;

	memset(k, 0, sizeof(*k));
	xsnprintf(k->spec, sizeof(k->spec), "%s", spec);
	if (kind == KERNEL_DEB) {
		strcpy(k->kind, "deb");
		rc = resolve_deb(spec, k, err, errlen);
	} else if (kind == KERNEL_IMAGE) {
		strcpy(k->kind, "image");
		rc = resolve_image(spec, k, err, errlen);
	} else {
		snprintf(err, errlen, "--kernel %s: unknown kernel spec (deb:6.12, deb:6.1, image:PATH, "
			 "src:deb-6.12[=VERSION], src:deb-6.1[=VERSION], git:TREE@REV, dir:TREE)", spec);
		return EXIT_USAGE;
	}
	xsnprintf(k->boot_image, sizeof(k->boot_image), "%s", k->image);
	return rc;
}

/* Xen's note type for the 32-bit PVH entry address (xen/include/public/elfnote.h). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
/* vmlinux's notes are a few hundred bytes; anything far larger is not a kernel's. */
#define ELF_NOTES_MAX (1u << 20)
#define ELF_PHDRS_MAX 256u

static size_t align4(uint32_t n)
{
	return ((size_t)n + 3) & ~(size_t)3;
}

static bool notes_have_pvh_entry(const unsigned char *notes, size_t len)
{
	size_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr n;
		size_t name_len, desc_len;

		memcpy(&n, notes + off, sizeof(n));
		off += sizeof(n);
		name_len = align4(n.n_namesz);
		desc_len = align4(n.n_descsz);
		if (name_len > len - off || desc_len > len - off - name_len)
			return false;
		if (n.n_type == XEN_ELFNOTE_PHYS32_ENTRY && n.n_namesz == 4 && !memcmp(notes + off, "Xen", 4) &&
		    n.n_descsz >= 4)
			return true;
		off += name_len + desc_len;
	}
	return false;
}

static bool segment_has_pvh_entry(int fd, const Elf64_Phdr *ph)
{
	unsigned char *notes;
	bool found;

	if (ph->p_type != PT_NOTE || !ph->p_filesz || ph->p_filesz > ELF_NOTES_MAX || ph->p_offset > INT64_MAX)
		return false;
	notes = xcalloc(1, ph->p_filesz);
	found = pread(fd, notes, ph->p_filesz, (off_t)ph->p_offset) == (ssize_t)ph->p_filesz &&
		notes_have_pvh_entry(notes, ph->p_filesz);
	free(notes);
	return found;
}

static bool is_elf64_kernel(const Elf64_Ehdr *h, Elf64_Half machine)
{
	return !memcmp(h->e_ident, ELFMAG, SELFMAG) && h->e_ident[EI_CLASS] == ELFCLASS64 &&
	       h->e_ident[EI_DATA] == ELFDATA2LSB && h->e_machine == machine &&
	       h->e_phentsize == sizeof(Elf64_Phdr) && h->e_phnum <= ELF_PHDRS_MAX && h->e_phoff <= INT64_MAX / 2;
}

static bool is_elf64_x86(const Elf64_Ehdr *h)
{
	return is_elf64_kernel(h, EM_X86_64);
}

bool kernel_has_pvh_entry(const char *elf_path)
{
	Elf64_Ehdr h;
	bool found = false;
	int fd = open(elf_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && is_elf64_x86(&h)) {
		for (unsigned i = 0; i < h.e_phnum && !found; i++) {
			Elf64_Phdr ph;
			off_t at = (off_t)h.e_phoff + (off_t)i * (off_t)sizeof(ph);
			if (pread(fd, &ph, sizeof(ph), at) != (ssize_t)sizeof(ph))
				break;
			found = segment_has_pvh_entry(fd, &ph);
		}
	}
	close(fd);
	return found;
}

/* Measured here: 6.1.192 built with KASAN triple-faults at its PVH entry
 * before the first console line (QEMU exits at once, nothing printed),
 * while its bzImage boots, and 6.12.117 with KASAN boots through PVH. So
 * KASAN kernels before 6.12, or of unknown release, boot the bzImage. */
static bool pvh_entry_fails_with_kasan(const struct kernel *k)
{
	int major, minor;

	if (!kernel_config_value(k, "CONFIG_KASAN"))
		return false;
	if (sscanf(k->release, "%d.%d", &major, &minor) != 2)
		return true;
	return major < 6 || (major == 6 && minor < 12);
}

void kernel_choose_boot_image(struct kernel *k)
{
	const char *image = k->arch == ARCH_X86_64 && k->vmlinux[0] && kernel_has_pvh_entry(k->vmlinux) &&
					    !pvh_entry_fails_with_kasan(k) ? k->vmlinux : k->image;

	xsnprintf(k->boot_image, sizeof(k->boot_image), "%s", image);
}

bool kernel_bzimage_is_whole(const char *path)
{
	unsigned char hdr[0x210];
	struct stat st;
	uint32_t syssize;
	bool whole = false;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	    !memcmp(hdr + 0x202, "HdrS", 4)) {
		/* x86 boot protocol: setup_sects at 0x1f1 (0 means 4), then the
		 * protected-mode part, syssize 16-byte units from 0x1f4. */
		unsigned setup = hdr[0x1f1] ? hdr[0x1f1] : 4;
		memcpy(&syssize, hdr + 0x1f4, sizeof(syssize));
		whole = (uint64_t)st.st_size >= ((uint64_t)setup + 1) * 512 + (uint64_t)syssize * 16;
	}
	close(fd);
	return whole;
}

static bool elf_segments_whole(int fd, const Elf64_Ehdr *h, uint64_t size)
{
	for (unsigned i = 0; i < h->e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(h->e_phoff + (uint64_t)i * sizeof(ph))) != (ssize_t)sizeof(ph))
			return false;
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			return false;
	}
	return true;
}

bool kernel_elf_is_whole(const char *path)
{
	Elf64_Ehdr h;
	struct stat st;
	bool whole = false;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
	    (is_elf64_x86(&h) || is_elf64_kernel(&h, EM_AARCH64))) {
		uint64_t size = (uint64_t)st.st_size, ph_end = h.e_phoff + (uint64_t)h.e_phnum * sizeof(Elf64_Phdr);
		uint64_t sh_end = h.e_shoff + (uint64_t)h.e_shnum * h.e_shentsize;
		/* e_shoff is 64-bit: past INT64_MAX/2 it can only be garbage. */
		whole = ph_end <= size && h.e_shoff <= INT64_MAX / 2 && sh_end <= size && elf_segments_whole(fd, &h, size);
	}
	close(fd);
	return whole;
}

char kernel_config_value(const struct kernel *k, const char *name)
{
	char *cfg, *p, key[160];
	char v = 0;
	size_t kl;

	if (!k->config[0] || !(cfg = read_file(k->config, NULL)))
		return 0;
	kl = (size_t)snprintf(key, sizeof(key), "\n%s=", name);
	p = strstr(cfg, key);
	if (!p && !strncmp(cfg, key + 1, kl - 1))
		p = cfg - 1;
	if (p)
		v = p[kl];
	free(cfg);
	return v == 'y' || v == 'm' ? v : 0;
}

/* The '@' between TREE and REV: the first one whose left side is a
 * directory, else the first one. A REV may hold '@' (HEAD@{1}, @{u}),
 * a tree path only rarely; the first that names a tree wins either way. */
char *kernel_git_split(char *spec)
{
	struct stat st;

	for (char *at = strchr(spec, '@'); at; at = strchr(at + 1, '@')) {
		bool dir;
		*at = '\0';
		dir = stat(spec, &st) == 0 && S_ISDIR(st.st_mode);
		*at = '@';
		if (dir)
			return at;
	}
	return strchr(spec, '@');
}
