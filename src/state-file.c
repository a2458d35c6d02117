/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "fileio.h"
#include "macro.h"
#include "state-file.h"

static const char *const stage_names[_STAGE_MAX] = {
        [STAGE_INITRAMFS] = "initramfs",
        [STAGE_ROOT] = "root",
};

const char *stage_to_string(Stage s) {
        return s >= 0 && s < _STAGE_MAX ? stage_names[s] : "unknown";
}

Stage stage_from_string(const char *s) {
        for (size_t i = 0; s && i < _STAGE_MAX; i++)
                if (streq(stage_names[i], s))
                        return (Stage)i;
        return _STAGE_INVALID;
}

/* Values go into tab-separated fields: no tabs or newlines inside. */
static void put_field(FILE *f, const char *s) {
        if (!s || !*s) {
                fputc('-', f);
                return;
        }
        for (; *s; s++)
                fputc(*s == '\t' || *s == '\n' ? ' ' : *s, f);
}

/* The whole file as text: it then goes out in write() calls of our own, so a short write or a full disk is
 * seen at the write that failed, not lost inside stdio. */
static int state_file_format(const Run *run, Stage stage, bool disabled, uint64_t duration_usec, char **ret,
                             size_t *ret_size) {
        _cleanup_fclose_ FILE *f = NULL;
        char *buf = NULL;
        size_t size = 0;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f,
                "version=%d\nstage=%s\nconfig_hash=%016" PRIx64 "\nconfig_present=%d\nudev_running=%d\n"
                "disabled=%d\nduration_usec=%" PRIu64 "\n",
                STATE_FILE_VERSION, stage_to_string(stage), run->config ? run->config->hash : 0,
                run->config && !run->config->missing, run->facts.udev_running, disabled, duration_usec);
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                fprintf(f, "device\t%s\t", d->name);
                put_field(f, d->driver_before);
                fputc('\t', f);
                put_field(f, d->dev ? d->dev->driver : NULL);
                fprintf(f, "\t%s\t%s\t%" PRIu64 "\t", result_to_string(d->result), reason_to_string(d->reason),
                        d->usec);
                put_field(f, d->message);
                fputc('\n', f);
                for (size_t j = 0; j < d->notes.n; j++) {
                        const Note *n = &d->notes.notes[j];
                        if (n->severity < SEVERITY_WARNING)
                                continue;
                        fprintf(f, "note\t%s\t%d\t%s\t", d->name, n->severity, note_code_to_string(n->code));
                        put_field(f, n->message);
                        fputc('\t', f);
                        put_field(f, n->fix);
                        fputc('\n', f);
                }
        }
        if (fflush(f) != 0 || ferror(f)) {
                fclose(TAKE_PTR(f));
                free(buf);
                return -ENOMEM;
        }
        fclose(TAKE_PTR(f));
        *ret = buf;
        *ret_size = size;
        return 0;
}

int state_file_write_at(int dir_fd, const char *name, const Run *run, Stage stage, bool disabled,
                        uint64_t duration_usec) {
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        size_t size = 0;
        int fd, r;

        r = state_file_format(run, stage, disabled, duration_usec, &text, &size);
        if (r < 0)
                return r;
        r = strdup_printf(&tmp, ".%s.tmp", name);
        if (r < 0)
                return r;
        /* Never through a symlink, never into a file that was there: a stale temp file is ours to remove
         * (the directory is checked), and O_EXCL then guarantees a file we created. */
        (void)unlinkat(dir_fd, tmp, 0);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        r = write_all_fd(fd, text, size);
        if (close(fd) < 0 && r >= 0)
                r = -errno;
        /* Readers never see half a file. */
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(dir_fd, tmp, 0);
        return r;
}

int state_file_write(const char *path, const Run *run, Stage stage, bool disabled, uint64_t duration_usec) {
        char dir[PATH_MAX];
        int dir_fd, r;

        if (strlen(path) >= sizeof(dir))
                return -ENAMETOOLONG;
        strcpy(dir, path);
        char *slash = strrchr(dir, '/');
        if (!slash)
                return -EINVAL;
        *slash = 0;
        dir_fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        r = state_file_write_at(dir_fd, slash + 1, run, stage, disabled, duration_usec);
        close(dir_fd);
        return r;
}

static char *field_dup(const char *s) {
        return streq(s, "-") ? NULL : strdup(s);
}

/* Split LINE at tabs into exactly N fields. */
static bool split_fields(char *line, char **fields, size_t n) {
        size_t k = 0;

        for (char *p = line; p && k < n; k++) {
                fields[k] = p;
                p = strchr(p, '\t');
                if (p)
                        *p++ = 0;
        }
        return k == n;
}

/* "device NAME BEFORE AFTER RESULT REASON USEC MESSAGE" */
/* The fields belong to s->devices, freed by state_file_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int parse_device(StateFile *s, char *line) {
        char *f[7];

        if (!split_fields(line, f, ELEMENTSOF(f)))
                return -EBADMSG;
        Result result = result_from_string(f[3]);
        Reason reason = reason_from_string(f[4]);
        if (result < 0 || reason < 0)
                return -EBADMSG;
        if (!GREEDY_REALLOC(s->devices, s->n_devices + 1))
                return -ENOMEM;
        StateDevice *d = &s->devices[s->n_devices++];
        *d = (StateDevice){
                .driver_before = field_dup(f[1]),
                .driver_after = field_dup(f[2]),
                .result = result,
                .reason = reason,
                .usec = strtoull(f[5], NULL, 10),
                .message = field_dup(f[6]),
        };
        snprintf(d->name, sizeof(d->name), "%s", f[0]);
        /* A field that could not be copied must not read as "none". */
        if ((!d->driver_before && !streq(f[1], "-")) || (!d->driver_after && !streq(f[2], "-")) ||
            (!d->message && !streq(f[6], "-")))
                return -ENOMEM;
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

/* "note NAME SEVERITY CODE MESSAGE FIX" */
/* The fields belong to s->notes, freed by state_file_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int parse_note(StateFile *s, char *line) {
        char *f[5];

        if (!split_fields(line, f, ELEMENTSOF(f)))
                return -EBADMSG;
        int severity = atoi(f[1]);
        NoteCode code = note_code_from_string(f[2]);
        if (severity < SEVERITY_INFO || severity > SEVERITY_ERROR || code < 0)
                return -EBADMSG;
        if (!GREEDY_REALLOC(s->notes, s->n_notes + 1))
                return -ENOMEM;
        StateNote *sn = &s->notes[s->n_notes++];
        *sn = (StateNote){
                .severity = (Severity)severity,
                .code = code,
                .message = field_dup(f[3]),
                .fix = field_dup(f[4]),
        };
        snprintf(sn->name, sizeof(sn->name), "%s", f[0]);
        if ((!sn->message && !streq(f[3], "-")) || (!sn->fix && !streq(f[4], "-")))
                return -ENOMEM;
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

static int parse_setting(StateFile *s, char *line) {
        char *eq = strchr(line, '=');

        if (!eq)
                return -EBADMSG;
        *eq = 0;
        const char *key = line, *value = eq + 1;
        if (streq(key, "stage")) {
                s->stage = stage_from_string(value);
                if (s->stage < 0)
                        return -EBADMSG;
        } else if (streq(key, "config_hash"))
                s->config_hash = strtoull(value, NULL, 16);
        else if (streq(key, "config_present"))
                s->config_present = streq(value, "1");
        else if (streq(key, "udev_running"))
                s->udev_running = streq(value, "1");
        else if (streq(key, "disabled"))
                s->disabled = streq(value, "1");
        else if (streq(key, "duration_usec"))
                s->duration_usec = strtoull(value, NULL, 10);
        return 0;
}

int state_file_read(const char *path, StateFile *ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_state_file_ StateFile s = { .stage = _STAGE_INVALID };
        char *save = NULL, *line;
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;

        /* The version comes first: nothing after it is read by a reader of another version. */
        line = strtok_r(text, "\n", &save);
        char *end = NULL;
        if (!line || strncmp(line, "version=", 8) != 0 || strtol(line + 8, &end, 10) != STATE_FILE_VERSION || *end != 0)
                return -EPROTONOSUPPORT;

        while ((line = strtok_r(NULL, "\n", &save))) {
                if (strncmp(line, "device\t", 7) == 0)
                        r = parse_device(&s, line + 7);
                else if (strncmp(line, "note\t", 5) == 0)
                        r = parse_note(&s, line + 5);
                else
                        r = parse_setting(&s, line);
                if (r < 0)
                        return r;
        }
        if (s.stage < 0)
                return -EBADMSG;
        *ret = s;
        s = (StateFile){};
        return 0;
}

void state_file_done(StateFile *s) {
        for (size_t i = 0; i < s->n_devices; i++) {
                free(s->devices[i].driver_before);
                free(s->devices[i].driver_after);
                free(s->devices[i].message);
        }
        free(s->devices);
        for (size_t i = 0; i < s->n_notes; i++) {
                free(s->notes[i].message);
                free(s->notes[i].fix);
        }
        free(s->notes);
        *s = (StateFile){};
}

const StateDevice *state_file_find(const StateFile *s, const char *name) {
        for (size_t i = 0; i < s->n_devices; i++)
                if (streq(s->devices[i].name, name))
                        return &s->devices[i];
        return NULL;
}
