#!/usr/bin/env python3
"""bindgen.py: jextract-shaped Java FFM bindings for one C header (Python standard library only).

Why not jextract itself: it is not on Maven Central but a separate, JDK-matched download.
This writes the public shape of openjdk jextract 22+ run as
    jextract -t <package> --header-class-name <Name> @src/main/jextract/includes.txt <header>
so `mvn -Pjextract` can swap the real tool in without touching any caller.

How: clang parses the header to a JSON AST; only declarations located in that very file are
bound (libc/stddef ones are ignored). Struct layouts are computed here with the SysV rules of
LP64 x86-64/AArch64 (natural alignment, explicit padding); a generated C probe lets the tests
compare them with the C compiler's. Whatever is not understood (bitfields, unions, packing or
alignment attributes, long double, globals, anonymous nested records, ...) is an error with a
position, never a guess.

Outputs beside the Java sources (not part of jextract's shape, so never under --output; with
--probe-only nothing else, for a build where the real jextract writes the Java):
  <probe-dir>/layout_probe.c  prints sizeof/alignof/offsetof of every struct
  <probe-dir>/structs.txt     the Java class name of every struct, one a line
  --dump-includes FILE        jextract's include filters for the same declarations
With --enum-names DIR (with or without --probe-only) also the API's public enums, package
dev.sdjava under --output, from the header's enums and sd.cpp's names for them in DIR
(publicenums.py).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

sys.dont_write_bytecode = True      # the import below must not write __pycache__ into src/
import publicenums                  # noqa: E402 (the API's enums, beside this file)


class BindgenError(Exception):
    pass


def unsupported(node, what):
    f, line, col = node.get('_pos') or (None, None, None)
    raise BindgenError(f"{os.path.basename(f or '?')}:{line}:{col}: unsupported: {what}")


# ------------------------------------------------------------------ clang front end

def check_target(clang, cargs):
    """The layout rules below are those of LP64 little-endian x86-64/AArch64: refuse others."""
    out = subprocess.run([clang, '-dM', '-E', '-x', 'c', *cargs, os.devnull],
                         capture_output=True, text=True, check=True).stdout
    macros = dict(re.findall(r'^#define (\w+) ?(.*)$', out, re.M))
    want = {'__CHAR_BIT__': '8', '__SIZEOF_SHORT__': '2', '__SIZEOF_INT__': '4', '__SIZEOF_LONG__': '8',
            '__SIZEOF_LONG_LONG__': '8', '__SIZEOF_POINTER__': '8', '__SIZEOF_FLOAT__': '4',
            '__SIZEOF_DOUBLE__': '8', '__BYTE_ORDER__': '__ORDER_LITTLE_ENDIAN__'}
    bad = {k: macros.get(k) for k, v in want.items() if macros.get(k) != v}
    if bad or not ('__x86_64__' in macros or '__aarch64__' in macros):
        raise BindgenError(f"unsupported target (need LP64 x86-64 or AArch64): {bad}")


def clang_ast(clang, header, cargs):
    cmd = [clang, '-Xclang', '-ast-dump=json', '-fsyntax-only', '-x', 'c', *cargs, header]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise BindgenError(f"clang failed: {' '.join(cmd)}\n{p.stderr}")
    return json.loads(p.stdout)


def annotate_positions(ast):
    """clang's JSON writes a location's file (and line) only when it differs from the location
    written before it, so replay the dump in order and store each node's full position as
    node['_pos'] = (file, line, col)."""
    state = {'file': None, 'line': None}

    def loc(x):
        if 'spellingLoc' in x or 'expansionLoc' in x:   # in a macro: both written, in this order
            loc(x.get('spellingLoc', {}))
            return loc(x.get('expansionLoc', {}))
        state['file'] = x.get('file', state['file'])
        state['line'] = x.get('line', state['line'])
        return state['file'], state['line'], x.get('col')

    def walk(x):
        for v in (x if isinstance(x, list) else [x]):
            if not isinstance(v, dict):
                continue
            pos = None
            for k, sub in v.items():
                if k == 'loc':
                    pos = loc(sub) if sub else None
                elif k == 'range':
                    loc(sub.get('begin', {}))
                    loc(sub.get('end', {}))
                elif isinstance(sub, (dict, list)):
                    walk(sub)
            if pos:
                v['_pos'] = pos
    walk(ast)


# ------------------------------------------------------------------ C types

# kind: (layout constant, layout class, Java carrier, size, align), LP64 SysV
PRIMS = {'bool': ('C_BOOL', 'OfBoolean', 'boolean', 1, 1), 'char': ('C_CHAR', 'OfByte', 'byte', 1, 1),
         'short': ('C_SHORT', 'OfShort', 'short', 2, 2), 'int': ('C_INT', 'OfInt', 'int', 4, 4),
         'long': ('C_LONG', 'OfLong', 'long', 8, 8), 'longlong': ('C_LONG_LONG', 'OfLong', 'long', 8, 8),
         'float': ('C_FLOAT', 'OfFloat', 'float', 4, 4), 'double': ('C_DOUBLE', 'OfDouble', 'double', 8, 8)}
BUILTIN = {'char': 'char', 'short': 'short', 'int': 'int', 'long': 'long', 'long long': 'longlong',
           'float': 'float', 'double': 'double', '_Bool': 'bool', 'bool': 'bool'}
BUILTIN_WORDS = {'char', 'short', 'int', 'long', 'float', 'double', '_Bool', 'bool', 'signed', 'unsigned'}
QUALIFIERS = {'const', 'volatile', 'restrict', '__restrict'}
TOKEN = re.compile(r'\s*(\.\.\.|[A-Za-z_]\w*|\d+|[*()\[\],])')
IDENT = re.compile(r'[A-Za-z_]\w*$')


@dataclass(eq=False)
class CType:
    kind: str                   # prim | void | ptr | arr | rec | enum | fn
    prim: str = None            # prim: a key of PRIMS
    to: 'CType' = None          # ptr: target, arr: element, fn: result
    n: int = None               # arr: length (None: flexible)
    rec: 'Record' = None
    params: tuple = ()
    variadic: bool = False      # fn: '...', or no prototype at all (see param_list)


@dataclass(eq=False)
class Record:
    node: dict
    tag: str                    # '' when anonymous
    cls: str = None             # Java class name: the tag, or the typedef naming an anonymous struct
    complete: bool = False
    in_header: bool = False
    fields: list = field(default_factory=list)   # (name, CType, C spelling, node)
    layout: tuple = None        # (size, align, members); member: ('pad', n) | ('field', name, t, c, offset)


class TypeParser:
    """Recursive descent over clang's printed type names ("const char *", "void (*)(int)",
    "int[4]"): the JSON AST gives field and parameter types only as such strings. Typedef
    names resolve through the AST's TypedefDecls."""

    def __init__(self, model, text, node):
        if 'unnamed' in text or 'anonymous' in text:
            unsupported(node, f"anonymous struct/union/enum type inside a declaration ({text})")
        self.model, self.node, self.text, self.i, self.toks = model, node, text, 0, []
        pos = 0
        while pos < len(text.rstrip()):
            m = TOKEN.match(text, pos) or unsupported(node, f"type spelling '{text}'")
            self.toks.append(m.group(1))
            pos = m.end()

    def parse(self):
        t = self.type_name()
        if self.peek() is not None:
            unsupported(self.node, f"type spelling '{self.text}'")
        return t

    def peek(self, k=0):
        return self.toks[self.i + k] if self.i + k < len(self.toks) else None

    def take(self, *expect):
        t = self.peek()
        if t is None or (expect and t not in expect):
            unsupported(self.node, f"type spelling '{self.text}'")
        self.i += 1
        return t

    def type_name(self):
        words = []
        while self.peek() and IDENT.match(self.peek()):
            w = self.take()
            if w in ('struct', 'union', 'enum'):
                words.append(w + ' ' + self.take())
            elif w not in QUALIFIERS:
                words.append(w)
        return self.declarator()(self.model.base_type(words, self.node))

    def declarator(self):
        """Returns a function wrapping the base type, in C's inside-out declarator order."""
        ptrs = 0
        while self.peek() == '*':
            self.take()
            ptrs += 1
            while self.peek() in QUALIFIERS:
                self.take()
        inner = lambda t: t
        if self.peek() == '(' and self.peek(1) == '*':   # "(*)": pointer to function or array
            self.take('(')
            inner = self.declarator()
            self.take(')')
        suffixes = []
        while self.peek() in ('[', '('):
            if self.take() == '[':
                n = int(self.take()) if (self.peek() or '').isdigit() else None
                self.take(']')
                suffixes.append(('arr', n))
            else:
                suffixes.append(('fn',) + self.param_list())

        def apply(t):
            for _ in range(ptrs):
                t = CType('ptr', to=t)
            for s in reversed(suffixes):
                t = CType('arr', to=t, n=s[1]) if s[0] == 'arr' else CType('fn', to=t, params=s[1], variadic=s[2])
            return inner(t)
        return apply

    def param_list(self):
        if self.peek() == ')':
            # "f()" has no prototype in C: libclang reports it variadic, so jextract (and
            # therefore this generator) binds it as a variadic invoker.
            self.take()
            return (), True
        if self.peek() == 'void' and self.peek(1) == ')':
            self.i += 2
            return (), False
        params, variadic = [], False
        while True:
            if self.peek() == '...':
                self.take()
                variadic = True
            else:
                t = self.type_name()       # array and function parameters are pointers (C 6.7.6.3)
                params.append(CType('ptr', to=t.to if t.kind == 'arr' else t) if t.kind in ('arr', 'fn') else t)
            if self.take(',', ')') == ')':
                return tuple(params), variadic


def param_name(decl):
    """The declared name in one C parameter declaration, '' if it has none."""
    m = re.search(r'\(\s*\*+\s*(?:const\s+)?([A-Za-z_]\w*)\s*\)\s*[(\[]', decl)  # (*name)(...)
    if m:
        return m.group(1)
    toks = [t for t in re.findall(r'[A-Za-z_]\w*|\S', re.sub(r'\[[^\]]*\]', ' ', decl)) if t not in QUALIFIERS]
    if len(toks) < 2 or not IDENT.match(toks[-1]) or toks[-2] in ('struct', 'union', 'enum'):
        return ''                                   # "int", "struct s", "char *"
    if toks[-1] in BUILTIN_WORDS and all(t in BUILTIN_WORDS for t in toks[:-1]):
        return ''                                   # "unsigned int", "long long"
    return toks[-1]


def tag_ref(node):
    """The record/enum a typedef names (through ElaboratedType/TypedefType, never pointers)."""
    for t in node.get('inner', []):
        if t['kind'] in ('ElaboratedType', 'RecordType', 'EnumType', 'TypedefType'):
            ref = t.get('ownedTagDecl') or t.get('decl')
            if ref and ref.get('kind') in ('RecordDecl', 'EnumDecl'):
                return ref
            if found := tag_ref(t):
                return found
    return None


class Model:
    def __init__(self, ast, header):
        annotate_positions(ast)
        top = [n for n in ast.get('inner', []) if not n.get('isImplicit')]
        want = os.path.realpath(header)
        with open(header, 'rb') as f:
            self.source = f.read()              # the AST's offsets are bytes of this file
        self.decls = [n for n in top if n.get('_pos') and os.path.realpath(n['_pos'][0]) == want]
        in_header = {id(n) for n in self.decls}
        self.typedefs, self.records, self.by_id, self.anon_by_typedef, self._td = {}, {}, {}, {}, {}
        for n in top:
            if n['kind'] == 'TypedefDecl':
                self.typedefs.setdefault(n['name'], n)
            elif n['kind'] == 'RecordDecl':
                tag = n.get('name', '')
                r = self.records.get(tag) if tag else None
                if r is None:
                    r = Record(n, tag, cls=tag or None)
                    if tag:
                        self.records[tag] = r
                self.by_id[n['id']] = r
                if n.get('completeDefinition'):
                    r.node, r.complete, r.in_header = n, True, id(n) in in_header
        for n in top:   # "typedef struct {...} name;": the anonymous struct takes the typedef's name
            ref = tag_ref(n) if n['kind'] == 'TypedefDecl' else None
            r = self.by_id.get(ref['id']) if ref else None
            if r is not None and not r.tag and r.cls is None:
                r.cls = n['name']
                self.anon_by_typedef[n['name']] = r

    def parse(self, text, node):
        return TypeParser(self, text, node).parse()

    def typedef_param_names(self, n, count):
        """The parameter names a function-pointer typedef spells in the header, '' where it
        has none ("void (*cb)(int, void *data)"). The JSON AST keeps them only in the source
        (they live in the TypeLoc, which it does not dump), so they are read from the typedef's
        text: each top-level parameter of the last parenthesised list, its name the trailing
        identifier when what comes before it is a type."""
        r = n.get('range', {})
        b, e = r.get('begin', {}), r.get('end', {})
        if 'offset' not in b or 'offset' not in e:      # written through a macro
            unsupported(n, f"function pointer typedef {n['name']} spelled through a macro")
        text = self.source[b['offset']:e['offset'] + e.get('tokLen', 0)].decode('utf-8', 'replace')
        text = re.sub(r'/\*.*?\*/|//[^\n]*', ' ', text, flags=re.S)
        end = text.rstrip().rstrip(';').rstrip()
        if not end.endswith(')'):
            unsupported(n, f"function pointer typedef {n['name']} spelling '{text.strip()}'")
        depth, i = 0, len(end) - 1
        while i >= 0:                                   # back to the "(" opening the last group
            depth += {')': 1, '(': -1}.get(end[i], 0)
            if depth == 0:
                break
            i -= 1
        params, depth, cur = [], 0, ''
        for ch in end[i + 1:-1]:
            if ch == ',' and depth == 0:
                params.append(cur)
                cur = ''
                continue
            depth += {'(': 1, '[': 1, ')': -1, ']': -1}.get(ch, 0)
            cur += ch
        params.append(cur)
        params = [q.strip() for q in params if q.strip() not in ('', '...')]
        if params == ['void']:
            params = []
        if len(params) != count:
            unsupported(n, f"function pointer typedef {n['name']}: {len(params)} parameters in "
                           f"'{text.strip()}', {count} in its type")
        return [param_name(q) for q in params]

    def base_type(self, words, node):
        if len(words) == 1 and ' ' in words[0]:
            kw, tag = words[0].split(' ')
            if kw == 'union':
                unsupported(node, f"union {tag}")
            if kw == 'enum':
                return CType('enum')    # C enums are int: constants are checked where declared
            r = self.records.get(tag) or self.anon_by_typedef.get(tag) or unsupported(node, f"unknown struct {tag}")
            return CType('rec', rec=r)
        if words and all(w in BUILTIN_WORDS for w in words):
            spec = ' '.join(w for w in words if w not in ('signed', 'unsigned', 'int')) or 'int'
            if spec in BUILTIN:
                return CType('prim', prim=BUILTIN[spec])
        elif words == ['void']:
            return CType('void')
        elif len(words) == 1 and words[0] in self.anon_by_typedef:
            return CType('rec', rec=self.anon_by_typedef[words[0]])
        elif len(words) == 1 and words[0] in self.typedefs:
            if words[0] not in self._td:
                td = self.typedefs[words[0]]
                self._td[words[0]] = self.parse(td['type']['qualType'], td)
            return self._td[words[0]]
        unsupported(node, f"type '{' '.join(words)}'")

    def fields(self, rec):
        n = rec.node
        if rec.fields or n.get('tagUsed') != 'struct':
            return rec.fields or unsupported(n, f"{n.get('tagUsed')} {rec.cls}")
        for m in n.get('inner', []):
            k, name = m['kind'], f"{rec.cls}.{m.get('name')}"
            if k.endswith('Attr'):                  # attributes carry no 'loc': report the struct
                unsupported(n, f"attribute {k} on struct {rec.cls} (packing/alignment)")
            if k != 'FieldDecl':
                unsupported(m, f"{k} inside struct {rec.cls} (nested or anonymous records)")
            if m.get('isBitfield'):
                unsupported(m, f"bitfield {name}")
            if any(a['kind'].endswith('Attr') for a in m.get('inner', [])):
                unsupported(m, f"attribute on field {name}")
            t = self.parse(m['type']['qualType'], m)
            if t.kind == 'ptr' and t.to.kind == 'fn' and 'typeAliasDeclId' not in m['type']:
                unsupported(m, f"function pointer field {name} without a typedef")   # jextract: nested class
            rec.fields.append((m['name'], t, m['type']['qualType'], m))
        return rec.fields or unsupported(n, f"empty struct {rec.cls}")

    def size_align(self, t, node):
        if t.kind == 'prim':
            return PRIMS[t.prim][3:5]
        if t.kind in ('ptr', 'enum'):
            return (8, 8) if t.kind == 'ptr' else (4, 4)
        if t.kind == 'arr':
            if not t.n:
                unsupported(node, "flexible or zero-length array")
            size, align = self.size_align(t.to, node)
            return size * t.n, align
        if t.kind == 'rec':
            return self.layout(t.rec, node)[:2]
        unsupported(node, f"{t.kind} used by value")

    def layout(self, rec, node):
        """SysV: each field at the next multiple of its alignment, the struct aligned to its
        strictest field and its size rounded up to that. Padding is made explicit."""
        if not rec.layout:
            if not rec.complete:
                unsupported(node, f"opaque struct {rec.tag} used by value")
            if not rec.in_header:
                unsupported(node, f"struct {rec.cls} from another header used by value")
            off, align, members = 0, 1, []
            for name, t, c, m in self.fields(rec):
                size, a = self.size_align(t, m)
                if off % a:
                    members.append(('pad', a - off % a))
                    off += a - off % a
                members.append(('field', name, t, c, off))
                off, align = off + size, max(align, a)
            if off % align:
                members.append(('pad', align - off % align))
                off += align - off % align
            rec.layout = (off, align, members)
        return rec.layout

    def check_abi(self, t, node):
        """What crosses a downcall or upcall: scalars, pointers, structs of this header."""
        if t.kind == 'rec':
            self.layout(t.rec, node)
        elif t.kind not in ('prim', 'enum', 'ptr', 'void'):
            unsupported(node, f"{t.kind} as function parameter or result")


# ------------------------------------------------------------------ Java text

JAVA_KEYWORDS = set("""abstract assert boolean break byte case catch char class const continue default do
double else enum extends final finally float for goto if implements import instanceof int interface long
native new package private protected public return short static strictfp super switch synchronized this
throw throws transient try void volatile while true false null _""".split())
# jextract's NameMangler also suffixes restricted identifiers and the types its code uses unqualified
JAVA_KEYWORDS |= {'var', 'yield', 'record', 'sealed', 'permits', 'ByteOrder', 'MethodHandle', 'VarHandle'}


def jname(name):
    return name + '_' if name in JAVA_KEYWORDS else name


def fill(template, **kw):
    return re.sub(r'@@(\w+)@@', lambda m: str(kw[m.group(1)]), template)


def doc(c_text, header='', indent=4):
    p = ' ' * indent
    lines = [p + '/**'] + ([f'{p} * {header}'] if header else []) + [f'{p} * {{@snippet lang=c :']
    return '\n'.join(lines + [f'{p} * {line}' for line in c_text.splitlines()] + [f'{p} * }}', f'{p} */'])


def c_decl(spelling, name):
    """A C declaration for doc comments, from clang's type spelling and a name."""
    if '(*' in spelling:
        return spelling.replace('(*', '(*' + name, 1)
    if '[' in spelling:
        return spelling.replace('[', f' {name}[', 1)
    return spelling + name if spelling.endswith('*') else f'{spelling} {name}'


def function_doc(n, fn, parms):
    qt, depth, i = n['type']['qualType'], 0, len(n['type']['qualType']) - 1
    while i >= 0:                               # where the final "(params)" group starts
        depth += {')': 1, '(': -1}.get(qt[i], 0)
        if depth == 0:
            break
        i -= 1
    if '(' in qt[:i]:                           # returns a function pointer: keep clang's text
        return f"{qt} {n['name']}"
    ps = [c_decl(p['type']['qualType'], p['name']) if p.get('name') else p['type']['qualType'] for p in parms]
    ps += ['...'] if fn.variadic and fn.params else []
    return c_decl(qt[:i].strip(), n['name']) + '(' + (', '.join(ps) if ps else qt[i + 1:-1]) + ')'


def layout_expr(t, H):
    if t.kind == 'arr':
        return f'MemoryLayout.sequenceLayout({t.n}, {layout_expr(t.to, H)})'
    if t.kind == 'rec':
        return f'{t.rec.cls}.layout()'
    return H + '.' + (PRIMS[t.prim][0] if t.kind == 'prim' else {'enum': 'C_INT', 'ptr': 'C_POINTER'}[t.kind])


def layout_class(t):
    if t.kind == 'prim':
        return PRIMS[t.prim][1]
    return {'enum': 'OfInt', 'ptr': 'AddressLayout', 'rec': 'GroupLayout', 'arr': 'SequenceLayout'}[t.kind]


def carrier(t):
    return PRIMS[t.prim][2] if t.kind == 'prim' else {'void': 'void', 'enum': 'int'}.get(t.kind, 'MemorySegment')


def fdesc(ret, params, H, indent):
    items = ([] if ret.kind == 'void' else [layout_expr(ret, H)]) + [layout_expr(p, H) for p in params]
    head = 'FunctionDescriptor.ofVoid(' if ret.kind == 'void' else 'FunctionDescriptor.of('
    pad = ' ' * indent
    return head + (''.join(f'\n{pad}    {i}' + (',' if k < len(items) - 1 else '') for k, i in enumerate(items))
                   + f'\n{pad})' if items else ')')


JAVA_PREAMBLE = """// Generated by bindgen.py from @@origin@@ in the shape of openjdk jextract 22+. Do not edit.

package @@pkg@@;

import java.lang.invoke.*;
import java.lang.foreign.*;
import java.nio.ByteOrder;
import java.util.*;
import java.util.function.*;
import java.util.stream.*;

import static java.lang.foreign.ValueLayout.*;
import static java.lang.foreign.MemoryLayout.PathElement.*;

"""

# As jextract: the primitive layouts and runtime helpers in <Header>$shared, which the header
# class extends (jextract splits big headers into several classes that all extend it).
SHARED = """public class @@H@@$shared {

    @@H@@$shared() {
        // Should not be called directly
    }

    static final boolean TRACE_DOWNCALLS = Boolean.getBoolean("jextract.trace.downcalls");

    static void traceDowncall(String name, Object... args) {
        String traceArgs = Arrays.stream(args).map(Object::toString).collect(Collectors.joining(", "));
        System.out.printf("%s(%s)\\n", name, traceArgs);
    }

    static MethodHandle upcallHandle(Class<?> fi, String name, FunctionDescriptor fdesc) {
        try {
            return MethodHandles.lookup().findVirtual(fi, name, fdesc.toMethodType());
        } catch (ReflectiveOperationException ex) {
            throw new AssertionError(ex);
        }
    }

    public static final ValueLayout.OfBoolean C_BOOL = ValueLayout.JAVA_BOOLEAN;
    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort C_SHORT = ValueLayout.JAVA_SHORT;
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG_LONG = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    public static final ValueLayout.OfDouble C_DOUBLE = ValueLayout.JAVA_DOUBLE;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS
            .withTargetLayout(MemoryLayout.sequenceLayout(java.lang.Long.MAX_VALUE, JAVA_BYTE));
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
}
"""

HEADER_TOP = """public class @@H@@ extends @@H@@$shared {

    @@H@@() {
        // Should not be called directly
    }

    // As jextract without -l: the caller loads the library (System.load) before first use.
    static final SymbolLookup SYMBOL_LOOKUP = SymbolLookup.loaderLookup()
            .or(Linker.nativeLinker().defaultLookup());

    static MemorySegment findOrThrow(String symbol) {
        return SYMBOL_LOOKUP.find(symbol).orElseThrow(() -> new UnsatisfiedLinkError("unresolved symbol: " + symbol));
    }
"""

# The holder class initialises on first use, so a missing symbol throws UnsatisfiedLinkError then.
FUNCTION = """
    private static class @@holder@@ {
        public static final FunctionDescriptor DESC = @@desc@@;
        public static final MemorySegment ADDR = @@H@@.findOrThrow("@@cname@@");
        public static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor @@name@@$descriptor() { return @@holder@@.DESC; }
    public static MethodHandle @@name@@$handle() { return @@holder@@.HANDLE; }
    public static MemorySegment @@name@@$address() { return @@holder@@.ADDR; }

@@doc@@
    public static @@ret@@ @@name@@(@@params@@) {
        var mh$ = @@holder@@.HANDLE;
        try {
            if (TRACE_DOWNCALLS) {
                traceDowncall(@@trace@@);
            }
            @@ret_cast@@mh$.invokeExact(@@args@@);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }
"""

VARIADIC = """
@@doc@@
    public static class @@holder@@ {
        private static final FunctionDescriptor BASE_DESC = @@desc@@;
        private static final MemorySegment ADDR = @@H@@.findOrThrow("@@cname@@");
        private final MethodHandle handle;
        private final FunctionDescriptor descriptor;
        private final MethodHandle spreader;

        private @@holder@@(MethodHandle handle, FunctionDescriptor descriptor, MethodHandle spreader) {
            this.handle = handle;
            this.descriptor = descriptor;
            this.spreader = spreader;
        }

        public static @@holder@@ makeInvoker(MemoryLayout... layouts) {
            FunctionDescriptor desc$ = BASE_DESC.appendArgumentLayouts(layouts);
            Linker.Option fva$ = Linker.Option.firstVariadicArg(BASE_DESC.argumentLayouts().size());
            var mh$ = Linker.nativeLinker().downcallHandle(ADDR, desc$, fva$);
            var spreader$ = mh$.asSpreader(Object[].class, layouts.length);
            return new @@holder@@(mh$, desc$, spreader$);
        }

        public static MemorySegment address() { return ADDR; }
        public MethodHandle handle() { return handle; }
        public FunctionDescriptor descriptor() { return descriptor; }

        public @@ret@@ apply(@@params@@) {
            try {
                if (TRACE_DOWNCALLS) {
                    traceDowncall(@@trace@@);
                }
                @@ret_cast@@spreader.invokeExact(@@args@@);
            } catch (IllegalArgumentException | ClassCastException ex$) {
                throw ex$; // wrong number or types of arguments
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
    }
"""

CONSTANT = """    private static final int @@name@@ = (int)@@value@@L;
@@doc@@
    public static int @@name@@() { return @@name@@; }
"""

STRUCT = """@@doc@@
public class @@cls@@ {

    @@cls@@() {
        // Should not be called directly
    }

    private static final GroupLayout $LAYOUT = MemoryLayout.structLayout(
@@members@@
    ).withName("@@lname@@");

    public static final GroupLayout layout() { return $LAYOUT; }
@@fields@@
    public static MemorySegment asSlice(MemorySegment array, long index) {
        return array.asSlice(layout().byteSize() * index);
    }

    public static long sizeof() { return layout().byteSize(); }
    public static MemorySegment allocate(SegmentAllocator allocator) { return allocator.allocate(layout()); }

    public static MemorySegment allocateArray(long elementCount, SegmentAllocator allocator) {
        return allocator.allocate(MemoryLayout.sequenceLayout(elementCount, layout()));
    }

    public static MemorySegment reinterpret(MemorySegment addr, Arena arena, Consumer<MemorySegment> cleanup) {
        return reinterpret(addr, 1, arena, cleanup);
    }

    public static MemorySegment reinterpret(MemorySegment addr, long elementCount, Arena arena, Consumer<MemorySegment> cleanup) {
        return addr.reinterpret(layout().byteSize() * elementCount, arena, cleanup);
    }
}
"""

FIELD = """
    private static final @@lc@@ @@f@@$LAYOUT = (@@lc@@)$LAYOUT.select(groupElement("@@cf@@"));
    private static final long @@f@@$OFFSET = @@offset@@;

    public static final @@lc@@ @@f@@$layout() { return @@f@@$LAYOUT; }
    public static final long @@f@@$offset() { return @@f@@$OFFSET; }

@@doc@@
@@access@@"""

VALUE_ACCESS = """    public static @@jt@@ @@f@@(MemorySegment struct) { return struct.get(@@f@@$LAYOUT, @@f@@$OFFSET); }
    public static void @@f@@(MemorySegment struct, @@jt@@ fieldValue) { struct.set(@@f@@$LAYOUT, @@f@@$OFFSET, fieldValue); }
"""

# Nested structs and arrays: the getter is a slice of the struct, the setter copies into it.
SEGMENT_ACCESS = """    public static MemorySegment @@f@@(MemorySegment struct) {
        return struct.asSlice(@@f@@$OFFSET, @@f@@$LAYOUT.byteSize());
    }

    public static void @@f@@(MemorySegment struct, MemorySegment fieldValue) {
        MemorySegment.copy(fieldValue, 0L, struct, @@f@@$OFFSET, @@f@@$LAYOUT.byteSize());
    }
"""

# The element handle comes from the field's own SequenceLayout: its base offset is the field's.
ARRAY_ACCESS = """
    private static long[] @@f@@$DIMS = { @@dims@@ };
    public static long[] @@f@@$dimensions() { return @@f@@$DIMS; }
    private static final @@hclass@@ @@f@@$ELEM_HANDLE = @@f@@$LAYOUT.@@hkind@@(@@path@@);

    public static @@et@@ @@f@@(MemorySegment struct, @@idecl@@) {
        @@iget@@
    }

    public static void @@f@@(MemorySegment struct, @@idecl@@, @@et@@ fieldValue) {
        @@iset@@
    }
"""

FUNCTIONAL = """@@doc@@
public final class @@cls@@ {

    private @@cls@@() {
        // Should not be called directly
    }

    /** The function pointer signature, expressed as a functional interface */
    public interface @@fi@@ {
        @@ret@@ apply(@@params@@);
    }

    private static final FunctionDescriptor $DESC = @@desc@@;

    public static FunctionDescriptor descriptor() { return $DESC; }

    private static final MethodHandle UP$MH = @@H@@.upcallHandle(@@cls@@.@@fi@@.class, "apply", $DESC);

    /** An upcall stub calling {@code fi}, alive as long as {@code arena} */
    public static MemorySegment allocate(@@cls@@.@@fi@@ fi, Arena arena) {
        return Linker.nativeLinker().upcallStub(UP$MH.bindTo(fi), $DESC, arena);
    }

    private static final MethodHandle DOWN$MH = Linker.nativeLinker().downcallHandle($DESC);

    /** Calls the function pointer {@code funcPtr} */
    public static @@ret@@ invoke(MemorySegment funcPtr@@iparams@@) {
        try {
            @@ret_cast@@DOWN$MH.invokeExact(funcPtr@@iargs@@);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }
}
"""

ALIAS = """@@doc@@
public class @@cls@@ extends @@base@@ {

    @@cls@@() {
        // Should not be called directly
    }
}
"""


# ------------------------------------------------------------------ generator

class Generator:
    def __init__(self, model, H, header):
        self.m, self.H, self.header = model, H, header
        self.header_parts, self.files, self.structs, self.holders, self.functions = [], {}, [], set(), set()
        self.includes = {k: set() for k in ('constant', 'function', 'struct', 'typedef')}
        self.enums = {}             # C tag -> [(constant, value)], for publicenums.py

    def run(self):
        for n in self.m.decls:
            k = n['kind']
            if k in ('EnumDecl', 'RecordDecl', 'TypedefDecl', 'FunctionDecl'):
                getattr(self, k[:-4].lower())(n)
            elif k == 'VarDecl':
                unsupported(n, f"global variable {n.get('name')}")
            elif k not in ('StaticAssertDecl', 'EmptyDecl'):
                unsupported(n, f"declaration kind {k}")
        self.files[self.H + '$shared'] = SHARED.replace('@@H@@', self.H)
        self.files[self.H] = HEADER_TOP.replace('@@H@@', self.H) + ''.join(self.header_parts) + '}\n'

    def holder(self, name):
        """Nested class names must differ case-insensitively (class files on macOS, Windows)."""
        while name.lower() in self.holders:
            name += '$'
        self.holders.add(name.lower())
        return name

    def enum(self, n):
        ename, value = n.get('name') or '<anonymous>', -1
        consts = self.enums.setdefault(ename, []) if n.get('name') else []
        for c in n.get('inner', []):
            if c['kind'] != 'EnumConstantDecl':
                unsupported(c, f"{c['kind']} in enum {ename}")
            if c['type']['qualType'] != 'int':      # C types every constant that fits as int
                unsupported(c, f"enum constant {c['name']} of type {c['type']['qualType']}, outside Java int")
            init = c.get('inner', [])
            while init and 'value' not in init[0] and init[0]['kind'] in ('ImplicitCastExpr', 'ParenExpr'):
                init = init[0].get('inner', [])
            if c.get('inner') and not (init and 'value' in init[0]):
                unsupported(c, f"enum constant {c['name']} without a constant value in the AST")
            value = int(init[0]['value']) if init else value + 1     # no initialiser: previous + 1
            consts.append((c['name'], value))
            self.header_parts.append(fill(CONSTANT, name=jname(c['name']), value=value,
                                          doc=doc(f"enum {ename}.{c['name']} = {value}")))
            self.includes['constant'].add(c['name'])

    def record(self, n):
        r = self.m.by_id[n['id']]
        if not n.get('completeDefinition'):
            return                                  # forward declaration: opaque unless defined
        if r.cls is None:
            unsupported(n, "anonymous struct without a typedef name")
        members = self.m.layout(r, n)[2]
        items = [f'        MemoryLayout.paddingLayout({m[1]})' if m[0] == 'pad'
                 else f'        {layout_expr(m[2], self.H)}.withName("{m[1]}")' for m in members]
        c_struct = 'struct {\n' + ''.join(f'    {c_decl(c, f)};\n' for f, _, c, _ in r.fields) + '}'
        self.files[r.cls] = fill(
            STRUCT, doc=doc(c_struct, indent=0), cls=r.cls, members=',\n'.join(items),
            lname=r.tag or f"$anon${n['_pos'][1]}:{n['_pos'][2]}",     # jextract's name for anonymous ones
            fields=''.join(self.field(*m[1:]) for m in members if m[0] == 'field'))
        self.structs.append((r.cls, f'struct {r.tag}' if r.tag else r.cls, [f[0] for f in r.fields]))
        if r.tag:
            self.includes['struct'].add(r.tag)

    def field(self, cname, t, c, offset):
        f = jname(cname)
        access = fill(SEGMENT_ACCESS if t.kind in ('rec', 'arr') else VALUE_ACCESS, f=f, jt=carrier(t))
        if t.kind == 'arr':
            dims, e = [], t
            while e.kind == 'arr':
                dims, e = dims + [e.n], e.to
            use = ', '.join(f'index{i}' for i in range(len(dims)))
            kw = dict(f=f, dims=', '.join(map(str, dims)), path=', '.join(['sequenceElement()'] * len(dims)),
                      idecl=', '.join(f'long index{i}' for i in range(len(dims))))
            if e.kind == 'rec':
                access += fill(ARRAY_ACCESS, hclass='MethodHandle', hkind='sliceHandle', et='MemorySegment', **kw,
                               iget=f'try {{\n            return (MemorySegment){f}$ELEM_HANDLE.invokeExact(struct, '
                                    f'{f}$OFFSET, {use});\n        }} catch (Error | RuntimeException ex) {{\n'
                                    '            throw ex;\n        } catch (Throwable ex$) {\n'
                                    '            throw new AssertionError("should not reach here", ex$);\n        }',
                               iset=f'MemorySegment.copy(fieldValue, 0L, {f}(struct, {use}), 0L, '
                                    f'{layout_expr(e, self.H)}.byteSize());')
            else:
                access += fill(ARRAY_ACCESS, hclass='VarHandle', hkind='varHandle', et=carrier(e), **kw,
                               iget=f'return ({carrier(e)}){f}$ELEM_HANDLE.get(struct, {f}$OFFSET, {use});',
                               iset=f'{f}$ELEM_HANDLE.set(struct, {f}$OFFSET, {use}, fieldValue);')
        return fill(FIELD, lc=layout_class(t), f=f, cf=cname, offset=offset, access=access,
                    doc=doc(c_decl(c, cname), 'Getter and setter for field:'))

    def typedef(self, n):
        name = n['name']
        self.includes['typedef'].add(name)
        if self.m.anon_by_typedef.get(name) is not None:
            return                                  # names its own anonymous struct: that class
        t, c = self.m.parse(n['type']['qualType'], n), 'typedef ' + c_decl(n['type']['qualType'], name)
        if t.kind == 'rec':
            if not t.rec.complete:                  # opaque handle, only used through pointers
                self.includes['typedef'].discard(name)
                return
            self.m.layout(t.rec, n)                 # fails for a struct of another header
            if t.rec.cls != name:                   # typedef struct tag other: jextract's subclass
                self.files[name] = fill(ALIAS, doc=doc(c, indent=0), cls=name, base=t.rec.cls)
        elif t.kind == 'ptr':
            if t.to.kind == 'fn':                   # jextract: a class only, no AddressLayout constant
                self.functional(name, t.to, c, n)
            else:
                self.header_parts.append(f'{doc(c)}\n    public static final AddressLayout {jname(name)} = {self.H}.C_POINTER;\n')
        elif t.kind in ('prim', 'enum'):
            if t.kind == 'prim' and t.prim != 'bool':  # as jextract: no typedef layout for bool or enums
                self.header_parts.append(f'{doc(c)}\n    public static final {layout_class(t)} {jname(name)} = '
                                         f'{layout_expr(t, self.H)};\n')
        else:
            unsupported(n, f"typedef {name} of {t.kind} type")

    def functional(self, name, fn, c, n):
        if fn.variadic:
            unsupported(n, f"variadic or unprototyped function pointer typedef {name}")
        for p in (fn.to,) + fn.params:
            self.m.check_abi(p, n)
        # as jextract: the C names, "_x<i>" where a parameter has none
        names = [jname(x) if x else f'_x{i}' for i, x in enumerate(self.m.typedef_param_names(n, len(fn.params)))]
        typed = ', '.join(f'{carrier(p)} {x}' for p, x in zip(fn.params, names))
        alloc = fn.to.kind == 'rec'                  # struct result: jextract's allocator parameter
        self.files[name] = fill(
            FUNCTIONAL, doc=doc(c, indent=0), cls=name, fi='Function$' if name == 'Function' else 'Function',
            ret=carrier(fn.to), params=typed, desc=fdesc(fn.to, fn.params, self.H, 4), H=self.H,
            iparams=(', SegmentAllocator alloc' if alloc else '') + (', ' + typed if typed else ''),
            iargs=(', alloc' if alloc else '') + ''.join(', ' + x for x in names),
            ret_cast='' if fn.to.kind == 'void' else f'return ({carrier(fn.to)}) ')

    def function(self, n):
        cname = n['name']
        if cname in self.functions:
            return                                  # a redeclaration
        if n.get('storageClass') == 'static' or n.get('inline'):
            unsupported(n, f"static/inline function {cname} (no exported symbol)")
        self.functions.add(cname)
        self.includes['function'].add(cname)
        fn = self.m.parse(n['type']['qualType'], n)
        for t in (fn.to,) + fn.params:
            self.m.check_abi(t, n)
        parms = [p for p in n.get('inner', []) if p['kind'] == 'ParmVarDecl']
        names = [jname(p.get('name') or f'x{i}') for i, p in enumerate(parms)]
        names += [f'x{i}' for i in range(len(names), len(fn.params) + fn.variadic)]
        types = [carrier(t) for t in fn.params] + ['Object...'] * fn.variadic
        if fn.to.kind == 'rec':                     # struct result: jextract's allocator parameter
            names.insert(0, next(a for a in ('_' * k + 'allocator' for k in range(99)) if a not in names))
            types.insert(0, 'SegmentAllocator')
        ret, args = carrier(fn.to), ', '.join(names)
        self.header_parts.append(fill(
            VARIADIC if fn.variadic else FUNCTION, doc=doc(function_doc(n, fn, parms)), H=self.H, cname=cname,
            name=jname(cname), holder=self.holder(jname(cname)), ret=ret, args=args,
            desc=fdesc(fn.to, fn.params, self.H, 8), params=', '.join(f'{t} {x}' for t, x in zip(types, names)),
            trace=f'"{cname}"' + (', ' + args if args else ''), ret_cast='' if ret == 'void' else f'return ({ret})'))

    def probe(self):
        """A C program printing what the compiler does, for the layout test to compare."""
        h = os.path.basename(self.header)
        lines = [f'/* Generated by bindgen.py: size, alignment and field offsets of every struct in {h}.',
                 ' * Lines: "struct NAME SIZE ALIGN" and "field NAME FIELD OFFSET SIZE ALIGN". */',
                 '#include <stddef.h>', '#include <stdio.h>', f'#include "{h}"', '',
                 '#define STRUCT(N, T) printf("struct %s %zu %zu\\n", N, sizeof(T), (size_t)_Alignof(T));',
                 '#define FIELD(N, T, F) printf("field %s %s %zu %zu %zu\\n", N, #F, offsetof(T, F), '
                 'sizeof(((T *)0)->F), (size_t)__alignof__(((T *)0)->F));', '', 'int main(void) {']
        for cls, ctype, fields in self.structs:
            lines += [f'    STRUCT("{cls}", {ctype})'] + [f'    FIELD("{cls}", {ctype}, {f})' for f in fields]
        return '\n'.join(lines + ['    return 0;', '}', ''])

    def includes_file(self):
        out = [f'# jextract include filters for exactly the declarations of {os.path.basename(self.header)}',
               '# (no libc/stddef symbols). Generated by bindgen.py --dump-includes; a test checks it is current.']
        for kind in ('constant', 'function', 'struct', 'typedef'):
            out += [f'--include-{kind} {name}' for name in sorted(self.includes[kind])]
        return '\n'.join(out) + '\n'


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--header', required=True)
    ap.add_argument('--package', required=True)
    ap.add_argument('--header-class-name', required=True)
    ap.add_argument('--output', required=True, help='Java source root')
    ap.add_argument('--probe-dir', help='default: <output>/../sdcpp-probe')
    ap.add_argument('--dump-includes', metavar='FILE', help='also write jextract include filters there')
    ap.add_argument('--probe-only', action='store_true',
                    help='write only the probe files, no Java (for builds where jextract writes the Java)')
    ap.add_argument('--enum-names', metavar='DIR',
                    help="also write the API's enums (publicenums.py), with sd.cpp's names from "
                         "DIR/stable-diffusion.cpp and DIR/ggml.c")
    ap.add_argument('--clang', default=os.environ.get('CLANG', 'clang'))
    ap.add_argument('--clang-arg', action='append', default=[], help='extra clang argument (-I..., -D...)')
    a = ap.parse_args(argv)
    try:
        if not os.path.isfile(a.header):
            raise BindgenError(f"no such header: {a.header}")
        check_target(a.clang, a.clang_arg)
        gen = Generator(Model(clang_ast(a.clang, a.header, a.clang_arg), a.header), a.header_class_name, a.header)
        gen.run()
        enums = publicenums.generate(gen.enums, a.enum_names) if a.enum_names else {}
    except (BindgenError, publicenums.EnumError) as e:
        print(f"bindgen.py: error: {e}", file=sys.stderr)
        return 1
    if not a.probe_only:
        pkg_dir = os.path.join(a.output, *a.package.split('.'))
        shutil.rmtree(pkg_dir, ignore_errors=True)  # classes of removed declarations must not linger
        for cls, body in gen.files.items():
            write(os.path.join(pkg_dir, cls + '.java'),
                  fill(JAVA_PREAMBLE, origin=os.path.basename(a.header), pkg=a.package) + body)
    if enums:
        enum_dir = os.path.join(a.output, *publicenums.PACKAGE.split('.'))
        os.makedirs(enum_dir, exist_ok=True)
        for old in os.listdir(enum_dir):            # only the files, not the bindings' package below
            if old.endswith('.java'):
                os.remove(os.path.join(enum_dir, old))
        for cls, body in enums.items():
            write(os.path.join(enum_dir, cls + '.java'), body)
    probe_dir = a.probe_dir or os.path.join(os.path.dirname(os.path.abspath(a.output)), 'sdcpp-probe')
    write(os.path.join(probe_dir, 'layout_probe.c'), gen.probe())
    write(os.path.join(probe_dir, 'structs.txt'), ''.join(cls + '\n' for cls, _, _ in gen.structs))
    if a.dump_includes:
        write(a.dump_includes, gen.includes_file())
    return 0


if __name__ == '__main__':
    sys.exit(main())
