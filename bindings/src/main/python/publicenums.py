"""publicenums.py: the API's Java enums (package dev.sdjava) for C enums of stable-diffusion.h.

bindgen.py calls this with the header's enums (constant names and values from clang's AST) when
it is given --enum-names DIR: the folder where the CMake build copies the two sd.cpp sources that
spell sd.cpp's names for them (CMakeLists.txt):
  DIR/stable-diffusion.cpp  the `const char* <x>_to_str[] = {...}` arrays, indexed by C value
  DIR/ggml.c                ggml's type traits, `[GGML_TYPE_X] = { .type_name = "x", ...}`: the
                            names of sd_type_t, whose constants SD_TYPE_X are ggml's GGML_TYPE_X
Only SPEC below is written by hand: per enum the Java class, the C enum, the class javadoc, and how
C constant names become Java ones. What does not match (a missing array, a length other than the
enum's, a rename or a doc that names no constant) is an error, never a guess. CEnumsTest checks
the result against the library's *_name() functions.
"""
import os
import re
from dataclasses import dataclass, field

PACKAGE = 'dev.sdjava'
GGML = 'ggml type names'        # SpecEnum.names for sd_type_t


class EnumError(Exception):
    pass


@dataclass(frozen=True)
class SpecEnum:
    java: str                   # the Java class
    c: str                      # the C enum's tag in the header
    doc: str                    # the class javadoc's first paragraph
    prefix: str = ''            # stripped from each C constant name ...
    suffix: str = ''            # ... and this, giving the Java name
    rename: dict = field(default_factory=dict)  # stripped C name -> Java name, where the strip does not read as Java
    count: str = None           # the header's *_COUNT constant (last; not a value)
    names: str = None           # the name array in stable-diffusion.cpp, GGML, or None: no sd.cpp names
    docs: dict = None           # names None: Java constant -> its javadoc (else: the C constant's name)


SPEC = [
    SpecEnum('SamplingMethod', 'sample_method_t', suffix='_SAMPLE_METHOD', count='SAMPLE_METHOD_COUNT',
             names='sample_method_to_str',
             rename={'DPMPP2S_A': 'DPMPP_2S_A', 'DPMPP2M': 'DPMPP_2M', 'DPMPP2Mv2': 'DPMPP_2M_V2'},
             doc="A sampler (sd.cpp's {@code sample_method_t}): how each denoising step moves the latent."),
    SpecEnum('Scheduler', 'scheduler_t', suffix='_SCHEDULER', count='SCHEDULER_COUNT', names='scheduler_to_str',
             doc="A noise schedule (sd.cpp's {@code scheduler_t}): which noise levels (sigmas) the steps visit."),
    SpecEnum('RngType', 'rng_type_t', suffix='_RNG', count='RNG_TYPE_COUNT', names='rng_type_to_str',
             doc="A random number generator for the initial noise (sd.cpp's {@code rng_type_t}). {@code CUDA} "
                 "reproduces GPU-generated images of other tools on any backend."),
    SpecEnum('Prediction', 'prediction_t', suffix='_PRED', count='PREDICTION_COUNT', names='prediction_to_str',
             doc="What the diffusion model predicts (sd.cpp's {@code prediction_t}); normally detected from the model."),
    SpecEnum('PreviewMode', 'preview_t', prefix='PREVIEW_', count='PREVIEW_COUNT', names='preview_to_str',
             doc="How preview images are made during sampling (sd.cpp's {@code preview_t})."),
    SpecEnum('LoraApplyMode', 'lora_apply_mode_t', prefix='LORA_APPLY_', count='LORA_APPLY_MODE_COUNT',
             names='lora_apply_mode_to_str',
             doc="When LoRA weights are applied (sd.cpp's {@code lora_apply_mode_t}): merged into the weights, or "
                 "at run time (needed for quantized weights)."),
    SpecEnum('HiresUpscaler', 'sd_hires_upscaler_t', prefix='SD_HIRES_UPSCALER_', count='SD_HIRES_UPSCALER_COUNT',
             names='hires_upscaler_to_str',
             doc="How the first pass of a high-resolution fix is enlarged (sd.cpp's {@code sd_hires_upscaler_t})."),
    SpecEnum('WeightType', 'sd_type_t', prefix='SD_TYPE_', count='SD_TYPE_COUNT', names=GGML,
             doc="A tensor weight type (sd.cpp's {@code sd_type_t}, the same numbers as ggml's types): the type "
                 "models are converted to, or loaded as."),
    SpecEnum('CacheMode', 'sd_cache_mode_t', prefix='SD_CACHE_',
             doc="A step cache (sd.cpp's {@code sd_cache_mode_t}): reuses work between sampling steps to trade\n"
                 " * a little quality for speed. {@link #DISABLED} by default.",
             docs={'DISABLED': 'No caching (default).', 'EASYCACHE': 'EasyCache.', 'UCACHE': 'UCache (UNet models).',
                   'DBCACHE': 'DBCache.', 'TAYLORSEER': 'TaylorSeer.', 'CACHE_DIT': 'Cache-DiT.',
                   'SPECTRUM': 'Spectrum.'}),
]

JAVA_IDENT = re.compile(r'[A-Z][A-Z0-9_]*$')


# ------------------------------------------------------------------ sd.cpp's names

def read(names_dir, name):
    path = os.path.join(names_dir, name)
    if not os.path.isfile(path):
        raise EnumError(f"no {path}: the CMake build copies it from the sd.cpp tree (CMakeLists.txt); "
                        f"re-run the native build (without -Dsdj.skipNative) to write it")
    with open(path, encoding='utf-8') as f:
        return path, f.read()


# One token of an array body: blank, comment, string literal (no escapes), comma, anything else.
ARRAY_TOKEN = re.compile(r'\s+|//[^\n]*|/\*.*?\*/|"([^"\\\n]*)"|(,)|(.)', re.S)


def string_array(path, text, array):
    """The strings of `const char* <array>[] = {"a", "b", ...};`, which must be defined once."""
    found = re.findall(r'^[ \t]*(?:static[ \t]+)?const[ \t]+char[ \t]*\*[ \t]*' + re.escape(array)
                       + r'[ \t]*\[[ \t]*\][ \t]*=[ \t]*\{(.*?)\}[ \t]*;', text, re.M | re.S)
    if len(found) != 1:
        raise EnumError(f"{path}: {len(found)} definitions of const char* {array}[] = {{...}}; want exactly one")
    names, want_string = [], True
    for m in ARRAY_TOKEN.finditer(found[0]):
        string, comma, other = m.groups()
        if other is not None or (string is not None and not want_string) or (comma is not None and want_string):
            raise EnumError(f"{path}: {array}[] is not a list of plain string literals "
                            f"(at '{found[0][m.start():].strip().splitlines()[0][:40]}')")
        if string is not None:
            names.append(string)
            want_string = False
        elif comma is not None:
            want_string = True
    return names


def ggml_type_names(path, text):
    """ggml's type_traits table: the key in brackets (GGML_TYPE_X or a number) -> .type_name."""
    found = re.findall(r'^static const struct ggml_type_traits type_traits\[GGML_TYPE_COUNT\] = \{\n(.*?)^\};',
                       text, re.M | re.S)
    if len(found) != 1:
        raise EnumError(f"{path}: {len(found)} definitions of static const struct ggml_type_traits "
                        f"type_traits[GGML_TYPE_COUNT] = {{...}}; want exactly one")
    body, names = found[0], {}
    starts = list(re.finditer(r'^\s*\[\s*(\w+)\s*\]\s*=\s*\{', body, re.M))
    for i, m in enumerate(starts):
        entry = body[m.end():starts[i + 1].start() if i + 1 < len(starts) else len(body)]
        type_name = re.findall(r'\.type_name\s*=\s*"([^"\\\n]*)"', entry)
        if len(type_name) != 1 or m.group(1) in names:
            raise EnumError(f"{path}: type_traits[{m.group(1)}]: want one entry with one .type_name")
        names[m.group(1)] = type_name[0]
    return names


# ------------------------------------------------------------------ constants

def constants(spec, c_enums):
    """(C name, Java name, C value) of each constant but the count, in the header's order."""
    if spec.c not in c_enums:
        raise EnumError(f"enum {spec.c} (Java {spec.java}) is not in the header")
    consts = list(c_enums[spec.c])
    if spec.count is not None:
        if not consts or consts[-1][0] != spec.count:
            raise EnumError(f"enum {spec.c}: want {spec.count} as its last constant, "
                            f"got {consts[-1][0] if consts else 'none'}")
        consts.pop()
    out, unused = [], dict(spec.rename)
    for c, value in consts:
        if c.endswith('_COUNT') or not (c.startswith(spec.prefix) and c.endswith(spec.suffix)):
            raise EnumError(f"enum {spec.c}: constant {c} is not {spec.prefix}*{spec.suffix}")
        stripped = c[len(spec.prefix):len(c) - len(spec.suffix)]
        java = unused.pop(stripped, stripped)
        if not JAVA_IDENT.match(java) or java in [j for _, j, _ in out]:
            raise EnumError(f"enum {spec.c}: {c} gives the Java name '{java}' (not UPPER_CASE, or taken); "
                            f"add it to {spec.java}'s rename table")
        out.append((c, java, value))
    if unused:
        raise EnumError(f"enum {spec.c}: {spec.java}'s rename table names no constant: {sorted(unused)}")
    if not out:
        raise EnumError(f"enum {spec.c} has no constants")
    return out


def sd_names(spec, consts, sources):
    """sd.cpp's name of each constant, checked against the enum: one per constant."""
    if spec.names == GGML:
        path, table = sources['ggml']
        missing = [c for c, _, _ in consts if 'GGML_TYPE_' + c[len(spec.prefix):] not in table]
        if missing:
            raise EnumError(f"{path}: no type_traits[GGML_TYPE_...] entry for {', '.join(missing)} of enum {spec.c}")
        return [table['GGML_TYPE_' + c[len(spec.prefix):]] for c, _, _ in consts]
    path, text = sources['sdcpp']
    names = string_array(path, text, spec.names)
    if len(names) != len(consts):
        raise EnumError(f"{path}: {spec.names}[] has {len(names)} names, enum {spec.c} has {len(consts)} "
                        f"constants (without {spec.count})")
    for i, (c, _, value) in enumerate(consts):
        if value != i:           # the array is indexed by C value
            raise EnumError(f"enum {spec.c}: {c} = {value}, but {spec.names}[] is indexed from 0 (want {i})")
    if len(set(names)) != len(names):
        raise EnumError(f"{path}: {spec.names}[] names one value twice: {names}")
    return names


# ------------------------------------------------------------------ Java

HEAD = """// Generated by bindgen.py (publicenums.py) from stable-diffusion.h@@origin@@. Do not edit.

package @@pkg@@;

/**
 * @@doc@@
 */
public enum @@cls@@ {
@@constants@@;

"""

# The class javadoc's second paragraph, for the enums with sd.cpp names.
NAMED = """\
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use; {@link #fromSdName(String)}
 * parses it. Neither loads the native library (a test checks the names against sd.cpp's own)."""

NAMED_BODY = """    private final int value;
    private final String sdName;

    @@cls@@(int value, String sdName) {
        this.value = value;
        this.sdName = sdName;
    }

    /** The C enum's value. */
    int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return sdName;
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static @@cls@@ fromSdName(String name) {
        return CEnums.parse(@@cls@@.class, values(), @@cls@@::sdName, name);
    }
}
"""

PLAIN_BODY = """    private final int value;

    @@cls@@(int value) {
        this.value = value;
    }

    /** The C enum's value. */
    int value() {
        return value;
    }
}
"""

VALUES = """// Generated by bindgen.py (publicenums.py) from stable-diffusion.h. Do not edit.

package @@pkg@@;

/** The C value of any of the enums generated from stable-diffusion.h (Structs writes option values with it). */
final class CValues {
    private CValues() {
    }

    static int of(Enum<?> e) {
        return switch (e) {
@@cases@@
            default -> throw new IllegalArgumentException(e.getDeclaringClass() + " is no C enum");
        };
    }
}
"""


def fill(template, **kw):
    return re.sub(r'@@(\w+)@@', lambda m: str(kw[m.group(1)]), template)


def java_string(s):
    if any(ch in s for ch in '"\\') or not s.isprintable():
        raise EnumError(f"sd.cpp name {s!r} needs escaping in Java")
    return f'"{s}"'


def enum_source(spec, consts, names):
    if names is None:
        if set(spec.docs or ()) != {j for _, j, _ in consts}:
            raise EnumError(f"{spec.java}: docs must name exactly its constants {[j for _, j, _ in consts]}")
        items = [f'    /** {spec.docs[j]} */\n    {j}({v})' for _, j, v in consts]
        doc, body, origin = spec.doc, PLAIN_BODY, ''
    else:
        if spec.docs is not None:
            raise EnumError(f"{spec.java}: constants with sd.cpp names are documented by their C name, not docs")
        items = [f'    /** {{@code {c}}} */\n    {j}({v}, {java_string(n)})' for (c, j, v), n in zip(consts, names)]
        doc, body = spec.doc + '\n' + NAMED, NAMED_BODY
        origin = " and ggml's ggml.c" if spec.names == GGML else " and sd.cpp's stable-diffusion.cpp"
    return fill(HEAD, origin=origin, pkg=PACKAGE, doc=doc, cls=spec.java, constants=',\n'.join(items)) \
        + fill(body, cls=spec.java)


def generate(c_enums, names_dir):
    """{class name: Java source} for SPEC, plus CValues. c_enums: C tag -> [(constant, value)]."""
    path, text = read(names_dir, 'stable-diffusion.cpp')
    sources = {'sdcpp': (path, text)}
    if any(s.names == GGML for s in SPEC):
        path, text = read(names_dir, 'ggml.c')
        sources['ggml'] = (path, ggml_type_names(path, text))
    files = {}
    for spec in SPEC:
        consts = constants(spec, c_enums)
        files[spec.java] = enum_source(spec, consts, sd_names(spec, consts, sources) if spec.names else None)
    cases = ''.join(f'            case {s.java} x -> x.value();\n' for s in SPEC).rstrip('\n')
    files['CValues'] = fill(VALUES, pkg=PACKAGE, cases=cases)
    return files
