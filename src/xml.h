/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* A small, strict XML reader for the files vfio-bind reads (libvirt's domain XML): elements and their
 * attributes, nothing else. Well-formedness is checked (matching tags, quoted and unique attributes, known
 * entities, one root element); a DOCTYPE is refused, so no entity is ever defined by the input. Text content
 * is checked but not handed out. */

typedef struct XmlAttribute {
        const char *name;
        const char *value; /* entities decoded */
} XmlAttribute;

/* DEPTH counts from 0 for the root element. A negative return stops the parse and is returned. */
typedef int (*XmlStartFunc)(const char *name, const XmlAttribute *attrs, size_t n_attrs, unsigned depth,
                            void *userdata);
typedef int (*XmlEndFunc)(const char *name, unsigned depth, void *userdata);

#define XML_DEPTH_MAX      64
#define XML_ATTRIBUTES_MAX 32

/* Returns 0, a callback's negative return, -ENOMEM, or -EBADMSG with *ret_line (1-based) and *ret_error
 * (a static string) saying what is wrong where. */
int xml_parse(const char *text, size_t size, XmlStartFunc start, XmlEndFunc end, void *userdata,
              unsigned *ret_line, const char **ret_error);

/* The value of attribute NAME, or NULL. */
const char *xml_attribute(const XmlAttribute *attrs, size_t n_attrs, const char *name);
