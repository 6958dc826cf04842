/* Edge cases for bindgen.py, exercised by BindgenEdgeCaseTest; edge.c implements them. */
#ifndef EDGE_H
#define EDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { EDGE_ANON_A, EDGE_ANON_B, EDGE_ANON_C = 10, EDGE_ANON_D };
enum edge_color { EDGE_RED = -3, EDGE_GREEN, EDGE_BLUE = 1 << 4, EDGE_WHITE = 0x7fffffff };
typedef enum { EDGE_MODE_X = 7, EDGE_MODE_Y } edge_mode_t;

typedef struct {
    uint8_t tag;
    double value;
} edge_inner_t;

/* a tagged struct, nested structs by value, arrays (also of structs, also 2-D), padding */
struct edge_outer {
    char c;
    edge_inner_t inner;
    int16_t s;
    int64_t big;
    int32_t vals[3];
    edge_inner_t pair[2];
    bool flag;
    enum edge_color color;
    edge_mode_t mode;
    const char *name;
    float grid[2][3];
    float f;
};
typedef struct edge_outer edge_outer_t;

typedef int (*edge_binop_t)(int a, int b);
typedef edge_inner_t (*edge_make_t)(uint8_t tag, double value);
/* parameter names as jextract takes them: unnamed ones, a function pointer, a Java keyword, an array */
typedef void (*edge_sink_t)(int, const char *label, void (*done)(int), unsigned int, int record[2], struct edge_outer *);

edge_inner_t edge_make_inner(uint8_t tag, double value);
double edge_sum(struct edge_outer outer);
int edge_apply(edge_binop_t op, int a, int b);
edge_binop_t edge_get_add(void);
edge_make_t edge_get_maker(void);
size_t edge_outer_size(void);
int edge_count(int n, ...);
int edge_noproto();
int edge_missing(void); /* declared, defined nowhere: must fail lazily, on first use */

#endif
