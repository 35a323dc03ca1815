/*
 * test_json_out.c - the JSON serializer (ff_jbuf, ff_json_text): the same text as
 * json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) for every kind of value, the ASCII form of
 * log lines, strings that are not UTF-8, the move from the caller's buffer to the heap,
 * and failure (nesting too deep) reported rather than written half.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ff.h"

/* ff_json_text(v) equals json_dumps of v with `flags`. */
static void expect_as_jansson(json_t *v, size_t flags)
{
    char *want = json_dumps(v, flags);
    size_t len = 0;
    char *got = ff_json_text(v, &len);
    cr_assert_not_null(want);
    cr_assert_not_null(got, "no text for %s", want);
    cr_expect_str_eq(got, want);
    cr_expect_eq(len, strlen(want), "length %zu for %s", len, want);
    free(want);
    free(got);
    json_decref(v);
}

Test(json_out, scalars_print_as_jansson_prints_them)
{
    const double reals[] = {0.1,    1.0,  -0.0,   1e300, 1e-7, 123456789012345678.0,
                            2.5e20, 1e21, 5e-324, 1e16,  -3.5};
    for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
        expect_as_jansson(json_real(reals[i]), JSON_COMPACT | JSON_ENCODE_ANY);
    const json_int_t ints[] = {0, 1, -1, 42, LLONG_MAX, LLONG_MIN, 1000000};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        expect_as_jansson(json_integer(ints[i]), JSON_COMPACT | JSON_ENCODE_ANY);
    expect_as_jansson(json_true(), JSON_COMPACT | JSON_ENCODE_ANY);
    expect_as_jansson(json_false(), JSON_COMPACT | JSON_ENCODE_ANY);
    expect_as_jansson(json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
}

Test(json_out, strings_escape_as_jansson_does)
{
    const char s[] = "a\x01\x1f\x7f/\"\\\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 end";
    expect_as_jansson(json_string(s), JSON_COMPACT | JSON_ENCODE_ANY);
    expect_as_jansson(json_stringn("a\0b", 3), JSON_COMPACT | JSON_ENCODE_ANY);
    expect_as_jansson(json_string(""), JSON_COMPACT | JSON_ENCODE_ANY);
}

Test(json_out, containers_keep_member_order_and_nesting)
{
    json_t *v = json_pack("{s:[i,b,n,{},[]], s:{s:s, s:f, s:{s:[s]}}, s:[], s:{}}", "x", 1, 1, "y", "k\"ey",
                          "v\n", "r", 2.5, "deep", "er", "most", "z", "w");
    json_object_set_new(v, "\xc3\xa9t\xc3\xa9", json_string("\xe2\x82\xac"));
    expect_as_jansson(v, JSON_COMPACT);
}

Test(json_out, ascii_form_escapes_every_non_ascii_character)
{
    json_t *v = json_pack("{s:s}", "k\xc3\xa9y", "caf\xc3\xa9 \xf0\x9f\x98\x80 \x01");
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    ff_jbuf b;
    ff_jbuf_init(&b, NULL, 0, FF_JSON_ASCII);
    ff_jbuf_value(&b, v);
    char *got = ff_jbuf_steal(&b, NULL);
    cr_assert_not_null(got);
    cr_expect_str_eq(got, want);
    for (const char *p = got; *p; p++)
        cr_expect((unsigned char)*p < 0x80, "raw byte in %s", got);
    free(want);
    free(got);
    json_decref(v);
}

Test(json_out, a_string_that_is_not_utf8_gets_question_marks_for_its_non_ascii_bytes)
{
    const char *bad[] = {"GET /bad\xff\xfe path \xc3\xa9", "cut \xe2\x82", "surrogate \xed\xa0\x80",
                         "over \xc0\xaf"};
    const char *want[] = {"\"GET /bad?? path ??\"", "\"cut ??\"", "\"surrogate ???\"", "\"over ??\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (unsigned flags = 0; flags <= FF_JSON_ASCII; flags++) {
            char stack[8];
            ff_jbuf b;
            ff_jbuf_init(&b, stack, sizeof(stack), flags);
            ff_jbuf_string(&b, bad[i], strlen(bad[i]));
            char *got = ff_jbuf_steal(&b, NULL);
            cr_assert_not_null(got);
            cr_expect_str_eq(got, want[i], "flags %u", flags);
            json_t *back = json_loads(got, JSON_DECODE_ANY, NULL);
            cr_expect_not_null(back, "not JSON: %s", got);
            json_decref(back);
            free(got);
        }
    }
}

Test(json_out, the_text_moves_from_the_callers_buffer_to_the_heap_intact)
{
    char stack[16];
    ff_jbuf b;
    ff_jbuf_init(&b, stack, sizeof(stack), 0);
    ff_jbuf_raw(&b, "[", 1);
    for (int i = 0; i < 1000; i++) {
        if (i > 0)
            ff_jbuf_raw(&b, ",", 1);
        ff_jbuf_int(&b, i);
    }
    ff_jbuf_raw(&b, "]", 1);
    cr_expect(b.heap, "1000 numbers still in 16 bytes");
    cr_expect_eq(strlen(b.p), b.len, "not NUL-terminated after the last write");
    size_t len = 0;
    char *text = ff_jbuf_steal(&b, &len);
    json_t *arr = json_loadb(text, len, 0, NULL);
    cr_assert(json_is_array(arr), "not an array: %.80s", text);
    cr_expect_eq(json_array_size(arr), 1000);
    cr_expect_eq(json_integer_value(json_array_get(arr, 999)), 999);
    json_decref(arr);
    free(text);
}

Test(json_out, text_in_the_callers_buffer_is_copied_out)
{
    char stack[64];
    ff_jbuf b;
    ff_jbuf_init(&b, stack, sizeof(stack), 0);
    ff_jbuf_string(&b, "short", 5);
    char *text = ff_jbuf_steal(&b, NULL);
    cr_assert_not_null(text);
    cr_expect(text != stack, "the caller's buffer was handed out");
    cr_expect_str_eq(text, "\"short\"");
    free(text);
}

/* A chain of n arrays, each holding the next. */
static json_t *nested(int n)
{
    json_t *v = json_array();
    for (int i = 1; i < n; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, v);
        v = outer;
    }
    return v;
}

Test(json_out, nesting_past_the_bound_fails_instead_of_writing_half)
{
    json_t *ok = nested(512), *deep = nested(600);
    char *text = ff_json_text(ok, NULL);
    cr_expect_not_null(text, "512 levels refused");
    free(text);
    cr_expect_null(ff_json_text(deep, NULL), "600 levels written");
    ff_jbuf b;
    ff_jbuf_init(&b, NULL, 0, 0);
    ff_jbuf_value(&b, deep);
    cr_expect(b.failed);
    ff_jbuf_raw(&b, "x", 1); /* ignored once failed */
    cr_expect_null(ff_jbuf_steal(&b, NULL));
    json_decref(ok);
    json_decref(deep);
}

/*
 * Long strings, where the writer copies runs sixteen bytes at a time: every kind of
 * character (escaped, plain, past ASCII) at every position around those blocks, as
 * jansson writes them, in both forms; and the same strings made invalid UTF-8 by one
 * stray byte, where every non-ASCII byte becomes '?'.
 */
Test(json_out, long_strings_with_every_kind_of_character_anywhere)
{
    static const char *const units[] = {
        "a", "Z", "\"", "\\", "\n", "\x01", "\x7f", "/", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " "};
    const size_t n_units = sizeof(units) / sizeof(units[0]);
    unsigned seed = 12345;
    for (int round = 0; round < 400; round++) {
        char s[512] = "";
        size_t len = 0, count = (size_t)(round % 90);
        for (size_t i = 0; i < count; i++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly plain letters, so that long plain runs occur */
            const char *u = (seed >> 16) % 3 != 0 ? "x" : units[(seed >> 8) % n_units];
            memcpy(s + len, u, strlen(u));
            len += strlen(u);
        }
        s[len] = '\0';
        expect_as_jansson(json_stringn(s, len), JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *v = json_stringn(s, len);
        char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
        ff_jbuf b;
        ff_jbuf_init(&b, NULL, 0, FF_JSON_ASCII);
        ff_jbuf_value(&b, v);
        char *got = ff_jbuf_steal(&b, NULL);
        cr_expect_str_eq(got, want);
        free(got);
        free(want);
        json_decref(v);

        /* a stray continuation byte: every non-ASCII byte of the string becomes '?' */
        size_t at = len / 2;
        char bad[520], lossy[520];
        memcpy(bad, s, at);
        bad[at] = (char)0x80;
        memcpy(bad + at + 1, s + at, len - at);
        for (size_t i = 0; i <= len; i++)
            lossy[i] = (unsigned char)bad[i] >= 0x80 ? '?' : bad[i];
        v = json_stringn(lossy, len + 1);
        want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        ff_jbuf_init(&b, NULL, 0, 0);
        ff_jbuf_string(&b, bad, len + 1);
        got = ff_jbuf_steal(&b, NULL);
        cr_expect_str_eq(got, want, "round %d", round);
        free(got);
        free(want);
        json_decref(v);
    }
}
