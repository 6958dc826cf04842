/* Implementation of edge.h for BindgenEdgeCaseTest (edge_missing is deliberately absent). */
#include "edge.h"

#include <stdarg.h>
#include <string.h>

edge_inner_t edge_make_inner(uint8_t tag, double value) {
    edge_inner_t r = {tag, value};
    return r;
}

/* Every field, weighted by its index where it is an array element, so that any field read
   from the wrong offset or element changes the result. */
double edge_sum(struct edge_outer o) {
    double s = o.c + o.inner.tag + o.inner.value + o.s + (double)o.big + o.flag + o.color + o.mode + o.f;
    for (int i = 0; i < 3; i++) s += o.vals[i] * (i + 1);
    for (int i = 0; i < 2; i++) s += (o.pair[i].tag + o.pair[i].value) * (i + 1);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) s += o.grid[i][j] * (i * 3 + j + 1);
    if (o.name) s += strlen(o.name);
    return s;
}

int edge_apply(edge_binop_t op, int a, int b) { return op(a, b); }

static int add(int a, int b) { return a + b; }

edge_binop_t edge_get_add(void) { return add; }

edge_make_t edge_get_maker(void) { return edge_make_inner; }

size_t edge_outer_size(void) { return sizeof(struct edge_outer); }

int edge_count(int n, ...) {
    va_list ap;
    va_start(ap, n);
    int s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, int);
    va_end(ap);
    return s;
}

int edge_noproto() { return 42; }
