/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>

#include "check-run.h"
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "xml.h"

/* What the callbacks saw, one event a line: "+name a=v b=w @depth" and "-name @depth". */
typedef struct Trace {
        char buf[4096];
        size_t n;
} Trace;

static int on_start(const char *name, const XmlAttribute *attrs, size_t n_attrs, unsigned depth, void *userdata) {
        Trace *t = userdata;
        t->n += snprintf(t->buf + t->n, sizeof(t->buf) - t->n, "+%s", name);
        for (size_t i = 0; i < n_attrs; i++)
                t->n += snprintf(t->buf + t->n, sizeof(t->buf) - t->n, " %s=%s", attrs[i].name, attrs[i].value);
        t->n += snprintf(t->buf + t->n, sizeof(t->buf) - t->n, " @%u\n", depth);
        return 0;
}

static int on_end(const char *name, unsigned depth, void *userdata) {
        Trace *t = userdata;
        t->n += snprintf(t->buf + t->n, sizeof(t->buf) - t->n, "-%s @%u\n", name, depth);
        return 0;
}

static int parse(const char *text, Trace *t, unsigned *line, const char **error) {
        *t = (Trace){};
        *line = 0;
        *error = NULL;
        return xml_parse(text, strlen(text), on_start, on_end, t, line, error);
}

START_TEST(test_elements_attributes_entities) {
        Trace t;
        unsigned line;
        const char *error;
        ck_assert_int_eq(parse("\xEF\xBB\xBF<?xml version='1.0'?>\n<!-- c -->\n<domain type=\"kvm\">\n"
                               "  <name>a &amp; b &#233;</name>\n"
                               "  <hostdev mode='subsystem' type = 'pci' managed='yes'><source>"
                               "<address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>"
                               "</source></hostdev>\n"
                               "  <description><![CDATA[<not> & parsed]]></description>\n"
                               "  <x v='&lt;&gt;&quot;&apos;&#x41;&#66;'/>\n"
                               "</domain >\n",
                               &t, &line, &error),
                         0);
        ck_assert_str_eq(t.buf, "+domain type=kvm @0\n"
                                "+name @1\n-name @1\n"
                                "+hostdev mode=subsystem type=pci managed=yes @1\n"
                                "+source @2\n"
                                "+address domain=0x0000 bus=0x01 slot=0x00 function=0x1 @3\n-address @3\n"
                                "-source @2\n-hostdev @1\n"
                                "+description @1\n-description @1\n"
                                "+x v=<>\"'AB @1\n-x @1\n"
                                "-domain @0\n");
}
END_TEST

START_TEST(test_malformed_named_with_line) {
        static const struct {
                const char *text;
                unsigned line;
                const char *error;
        } cases[] = {
                { "<a>\n<b>\n</a>\n", 3, "end tag does not match the open element" },
                { "<a>\n<b/>\n", 3, "the file ends inside an element" },
                { "<a x='1' x='2'/>", 1, "attribute given twice" },
                { "<a x=1/>", 1, "attribute value without quotes" },
                { "<a x='<'/>", 1, "'<' in an attribute value" },
                { "<a>&nbsp;</a>", 1, "unknown or malformed entity reference" },
                { "<a>&#0;</a>", 1, "unknown or malformed entity reference" },
                { "<a>&#xD800;</a>", 1, "unknown or malformed entity reference" },
                { "<!DOCTYPE a [<!ENTITY e 'x'>]>\n<a>&e;</a>", 1, "DOCTYPE and other declarations are not supported" },
                { "<a/><b/>", 1, "a second root element" },
                { "text<a/>", 1, "text outside the root element" },
                { "\n\n", 3, "no root element" },
                { "<a x='1'y='2'/>", 1, "expected whitespace, '>' or '/>' in a tag" },
                { "</a>", 1, "end tag without a start tag" },
                { "<a><!-- open </a>", 1, "comment not closed" },
                { "<1a/>", 1, "expected a name" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Trace t;
                unsigned line;
                const char *error;
                ck_assert_int_eq(parse(cases[i].text, &t, &line, &error), -EBADMSG);
                ck_assert_msg(error && streq(error, cases[i].error), "case %zu: got '%s'", i, strna(error));
                ck_assert_uint_eq(line, cases[i].line);
        }
}
END_TEST

START_TEST(test_nesting_bounded_and_nul_refused) {
        char deep[XML_DEPTH_MAX * 3 + 8] = "";
        for (unsigned i = 0; i <= XML_DEPTH_MAX; i++)
                strcat(deep, "<a>");
        Trace t;
        unsigned line;
        const char *error;
        ck_assert_int_eq(parse(deep, &t, &line, &error), -EBADMSG);
        ck_assert_str_eq(error, "elements nested too deeply");
        ck_assert_int_eq(xml_parse("<a>\0</a>", 8, on_start, on_end, &t, &line, &error), -EBADMSG);
        ck_assert_str_eq(error, "NUL byte in the file");
}
END_TEST

static int stop_at_b(const char *name, const XmlAttribute *attrs, size_t n_attrs, unsigned depth, void *userdata) {
        return streq(name, "b") ? -ENOTRECOVERABLE : 0;
}

START_TEST(test_callback_error_returned) {
        unsigned line = 0;
        const char *error = NULL;
        ck_assert_int_eq(xml_parse("<a><b/></a>", 11, stop_at_b, NULL, NULL, &line, &error), -ENOTRECOVERABLE);
        const XmlAttribute attrs[] = { { "k", "v" } };
        ck_assert_str_eq(xml_attribute(attrs, 1, "k"), "v");
        ck_assert_ptr_null(xml_attribute(attrs, 1, "x"));
}
END_TEST

int main(void) {
        Suite *s = suite_create("xml");
        TCase *tc = tcase_create("xml");
        tcase_add_test(tc, test_elements_attributes_entities);
        tcase_add_test(tc, test_malformed_named_with_line);
        tcase_add_test(tc, test_nesting_bounded_and_nul_refused);
        tcase_add_test(tc, test_callback_error_returned);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
