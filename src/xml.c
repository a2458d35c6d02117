/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "xml.h"

typedef struct Parser {
        char *buf; /* a private, writable copy: names and values are terminated and decoded in place */
        size_t size;
        size_t pos;
        unsigned line;
        const char *error;
} Parser;

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_start(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (unsigned char)c >= 0x80;
}

static bool is_name_char(char c) {
        return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int fail(Parser *p, const char *error) {
        p->error = error;
        return -EBADMSG;
}

static char peek(const Parser *p) {
        return p->pos < p->size ? p->buf[p->pos] : 0;
}

static void advance(Parser *p, size_t n) {
        for (; n > 0 && p->pos < p->size; n--)
                if (p->buf[p->pos++] == '\n')
                        p->line++;
}

static bool at(const Parser *p, const char *s) {
        size_t n = strlen(s);
        return p->size - p->pos >= n && memcmp(p->buf + p->pos, s, n) == 0;
}

static void skip_space(Parser *p) {
        while (is_space(peek(p)))
                advance(p, 1);
}

/* Skip past TERMINATOR; an error when the input ends first. */
static int skip_past(Parser *p, const char *terminator, const char *error) {
        while (p->pos < p->size && !at(p, terminator))
                advance(p, 1);
        if (p->pos >= p->size)
                return fail(p, error);
        advance(p, strlen(terminator));
        return 0;
}

/* A name at the current position; returns its start, the position is left after it (not terminated). */
static int parse_name(Parser *p, size_t *ret_start, size_t *ret_len) {
        size_t start = p->pos;
        if (!is_name_start(peek(p)))
                return fail(p, "expected a name");
        while (is_name_char(peek(p)))
                advance(p, 1);
        *ret_start = start;
        *ret_len = p->pos - start;
        return 0;
}

/* Decode one entity reference starting at S (at '&'), up to END; writes its UTF-8 bytes to OUT. Returns
 * the number of input bytes used, 0 when it is not a reference we know. */
static size_t decode_entity(const char *s, const char *end, char out[static 4], size_t *ret_out_len) {
        static const struct {
                const char *name;
                char c;
        } named[] = { { "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' }, { "quot;", '"' }, { "apos;", '\'' } };
        const char *semi = memchr(s, ';', end - s);
        if (!semi || semi - s > 12)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(named); i++) {
                size_t n = strlen(named[i].name);
                if ((size_t)(semi - s) == n && memcmp(s + 1, named[i].name, n) == 0) {
                        out[0] = named[i].c;
                        *ret_out_len = 1;
                        return n + 1;
                }
        }
        if (s[1] != '#' || semi - s < 3)
                return 0;
        bool hex = s[2] == 'x';
        uint32_t c = 0;
        for (const char *q = s + 2 + hex; q < semi; q++) {
                int v = *q >= '0' && *q <= '9'               ? *q - '0'
                        : hex && *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
                        : hex && *q >= 'A' && *q <= 'F' ? *q - 'A' + 10
                                                        : -1;
                if (v < 0 || c > 0x10ffff)
                        return 0;
                c = c * (hex ? 16 : 10) + v;
        }
        if (semi == s + 2 + hex || c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        if (c < 0x80) {
                out[0] = c;
                *ret_out_len = 1;
        } else if (c < 0x800) {
                out[0] = 0xc0 | c >> 6;
                out[1] = 0x80 | (c & 0x3f);
                *ret_out_len = 2;
        } else if (c < 0x10000) {
                out[0] = 0xe0 | c >> 12;
                out[1] = 0x80 | (c >> 6 & 0x3f);
                out[2] = 0x80 | (c & 0x3f);
                *ret_out_len = 3;
        } else {
                out[0] = 0xf0 | c >> 18;
                out[1] = 0x80 | (c >> 12 & 0x3f);
                out[2] = 0x80 | (c >> 6 & 0x3f);
                out[3] = 0x80 | (c & 0x3f);
                *ret_out_len = 4;
        }
        return semi - s + 1;
}

/* A quoted attribute value: decoded in place and NUL-terminated where its closing quote was. */
static int parse_value(Parser *p, char **ret) {
        char quote = peek(p);
        if (quote != '"' && quote != '\'')
                return fail(p, "attribute value without quotes");
        advance(p, 1);
        char *value = p->buf + p->pos, *w = value;
        for (;;) {
                char c = peek(p);
                if (p->pos >= p->size)
                        return fail(p, "attribute value not closed");
                if (c == quote)
                        break;
                if (c == '<')
                        return fail(p, "'<' in an attribute value");
                if (c == '&') {
                        char out[4];
                        size_t out_len, used = decode_entity(p->buf + p->pos, p->buf + p->size, out, &out_len);
                        if (used == 0)
                                return fail(p, "unknown or malformed entity reference");
                        /* The decoded form is never longer than the reference. */
                        advance(p, used);
                        memcpy(w, out, out_len);
                        w += out_len;
                        continue;
                }
                *w++ = c;
                advance(p, 1);
        }
        advance(p, 1);
        *w = 0;
        *ret = value;
        return 0;
}

/* Text between tags: only known entities, and no ']]>'. */
static int check_text(Parser *p, unsigned depth) {
        while (p->pos < p->size && peek(p) != '<') {
                char c = peek(p);
                if (depth == 0 && !is_space(c))
                        return fail(p, "text outside the root element");
                if (c == '&') {
                        char out[4];
                        size_t out_len, used = decode_entity(p->buf + p->pos, p->buf + p->size, out, &out_len);
                        if (used == 0)
                                return fail(p, "unknown or malformed entity reference");
                        advance(p, used);
                        continue;
                }
                if (at(p, "]]>"))
                        return fail(p, "']]>' in text");
                advance(p, 1);
        }
        return 0;
}

typedef struct Element {
        size_t start; /* of its name in the buffer */
        size_t len;
} Element;

static int parse_start_tag(Parser *p, Element *stack, unsigned *depth, bool *seen_root, XmlStartFunc start,
                           XmlEndFunc end, void *userdata) {
        XmlAttribute attrs[XML_ATTRIBUTES_MAX];
        size_t n_attrs = 0, name_start, name_len;
        int r;

        if (*depth == 0 && *seen_root)
                return fail(p, "a second root element");
        if (*depth >= XML_DEPTH_MAX)
                return fail(p, "elements nested too deeply");
        advance(p, 1);
        r = parse_name(p, &name_start, &name_len);
        if (r < 0)
                return r;
        size_t name_end = p->pos;
        for (;;) {
                bool space = is_space(peek(p));
                skip_space(p);
                if (at(p, "/>") || peek(p) == '>')
                        break;
                if (!space)
                        return fail(p, "expected whitespace, '>' or '/>' in a tag");
                if (n_attrs >= XML_ATTRIBUTES_MAX)
                        return fail(p, "too many attributes");
                size_t a_start, a_len;
                r = parse_name(p, &a_start, &a_len);
                if (r < 0)
                        return r;
                size_t a_end = p->pos;
                skip_space(p);
                if (peek(p) != '=')
                        return fail(p, "attribute without '='");
                advance(p, 1);
                skip_space(p);
                char *value;
                r = parse_value(p, &value);
                if (r < 0)
                        return r;
                p->buf[a_end] = 0; /* whitespace or '=': both are behind us */
                const char *a_name = p->buf + a_start;
                for (size_t i = 0; i < n_attrs; i++)
                        if (strcmp(attrs[i].name, a_name) == 0)
                                return fail(p, "attribute given twice");
                attrs[n_attrs++] = (XmlAttribute){ a_name, value };
        }
        bool empty = at(p, "/>");
        advance(p, empty ? 2 : 1);
        /* The name ends in whitespace, '>' or '/': all consumed, so it can be terminated now. */
        p->buf[name_end] = 0;
        const char *name = p->buf + name_start;
        *seen_root = true;
        r = start ? start(name, attrs, n_attrs, *depth, userdata) : 0;
        if (r < 0)
                return r;
        if (empty) {
                r = end ? end(name, *depth, userdata) : 0;
                return r;
        }
        stack[(*depth)++] = (Element){ name_start, name_len };
        return 0;
}

static int parse_end_tag(Parser *p, Element *stack, unsigned *depth, XmlEndFunc end, void *userdata) {
        size_t name_start, name_len;
        int r;

        advance(p, 2);
        r = parse_name(p, &name_start, &name_len);
        if (r < 0)
                return r;
        skip_space(p);
        if (peek(p) != '>')
                return fail(p, "expected '>' after the end tag's name");
        advance(p, 1);
        if (*depth == 0)
                return fail(p, "end tag without a start tag");
        const Element *open = &stack[*depth - 1];
        /* The open element's name was terminated in place when its tag was read. */
        if (open->len != name_len || memcmp(p->buf + open->start, p->buf + name_start, name_len) != 0)
                return fail(p, "end tag does not match the open element");
        (*depth)--;
        return end ? end(p->buf + open->start, *depth, userdata) : 0;
}

int xml_parse(const char *text, size_t size, XmlStartFunc start, XmlEndFunc end, void *userdata,
              unsigned *ret_line, const char **ret_error) {
        Element stack[XML_DEPTH_MAX];
        unsigned depth = 0;
        bool seen_root = false;
        int r = 0;

        if (memchr(text, 0, size)) {
                *ret_line = 1;
                *ret_error = "NUL byte in the file";
                return -EBADMSG;
        }
        Parser p = { .buf = malloc(size + 1), .size = size, .line = 1 };
        if (!p.buf)
                return -ENOMEM;
        memcpy(p.buf, text, size);
        p.buf[size] = 0;
        if (at(&p, "\xEF\xBB\xBF"))
                p.pos = 3;

        while (r >= 0 && p.pos < p.size) {
                if (peek(&p) != '<')
                        r = check_text(&p, depth);
                else if (at(&p, "<?"))
                        r = skip_past(&p, "?>", "processing instruction not closed");
                else if (at(&p, "<!--"))
                        r = skip_past(&p, "-->", "comment not closed");
                else if (at(&p, "<![CDATA[")) {
                        if (depth == 0)
                                r = fail(&p, "CDATA outside the root element");
                        else
                                r = skip_past(&p, "]]>", "CDATA section not closed");
                } else if (at(&p, "<!"))
                        r = fail(&p, "DOCTYPE and other declarations are not supported");
                else if (at(&p, "</"))
                        r = parse_end_tag(&p, stack, &depth, end, userdata);
                else
                        r = parse_start_tag(&p, stack, &depth, &seen_root, start, end, userdata);
        }
        if (r >= 0 && depth > 0)
                r = fail(&p, "the file ends inside an element");
        if (r >= 0 && !seen_root)
                r = fail(&p, "no root element");
        if (r == -EBADMSG) {
                *ret_line = p.line;
                *ret_error = p.error;
        }
        free(p.buf);
        return r;
}

const char *xml_attribute(const XmlAttribute *attrs, size_t n_attrs, const char *name) {
        for (size_t i = 0; i < n_attrs; i++)
                if (strcmp(attrs[i].name, name) == 0)
                        return attrs[i].value;
        return NULL;
}
