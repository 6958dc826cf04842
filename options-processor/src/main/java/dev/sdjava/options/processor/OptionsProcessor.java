package dev.sdjava.options.processor;

import com.sun.source.tree.ParameterizedTypeTree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.Trees;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.RoundEnvironment;
import javax.annotation.processing.SupportedAnnotationTypes;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
import javax.lang.model.element.RecordComponentElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.tools.Diagnostic;

/**
 * Generates, for each record {@code P.R} annotated {@code @dev.sdjava.internal.options.Options},
 * the builder base {@code P.RBuilderBase} and the option table
 * {@code dev.sdjava.internal.options.ROptions}. The annotations are recognised by name, so this
 * processor needs nothing on its own class path; their javadoc in the api module is the contract.
 */
@SupportedAnnotationTypes(OptionsProcessor.PKG + ".*") // claims @CField and the rest too, which only @Options reads
public final class OptionsProcessor extends AbstractProcessor {
    static final String PKG = "dev.sdjava.internal.options";
    static final String OPTIONS = PKG + ".Options";
    private static final Map<String, String> UNBOXED = Map.of("java.lang.Integer", "int", "java.lang.Long", "long",
            "java.lang.Float", "float", "java.lang.Double", "double", "java.lang.Boolean", "boolean");
    private static final Set<String> RESERVED = Set.of("build", "from", "self");

    private enum Kind { VALUE, ARRAY, LIST, MAP }

    /** One record component: {@code type} as written in the record, {@code args} its type arguments. */
    private record Component(RecordComponentElement element, String name, Kind kind, String type, String param,
            List<String> args, String numeric, String doc, Map<String, Map<String, Object>> checks) {
        boolean has(String annotation) {
            return checks.containsKey(annotation);
        }

        Object get(String annotation, String attribute) {
            return checks.get(annotation).get(attribute);
        }
    }

    private static final class Invalid extends Exception {
        final Element element;

        Invalid(Element element, String message) {
            super(message);
            this.element = element;
        }
    }

    private Trees trees; // null under a compiler other than javac: types are then printed fully qualified

    @Override
    public synchronized void init(ProcessingEnvironment env) {
        super.init(env);
        try {
            trees = Trees.instance(env);
        } catch (IllegalArgumentException | LinkageError notJavac) {
            trees = null;
        }
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        for (TypeElement annotation : annotations) {
            if (!annotation.getQualifiedName().contentEquals(OPTIONS)) {
                continue;
            }
            for (Element e : round.getElementsAnnotatedWith(annotation)) {
                try {
                    generate(e);
                } catch (Invalid x) {
                    processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, x.getMessage(), x.element);
                } catch (IOException x) {
                    processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, "@Options: cannot write: " + x, e);
                }
            }
        }
        return true;
    }

    private void generate(Element e) throws Invalid, IOException {
        if (e.getKind() != ElementKind.RECORD || ((TypeElement) e).getNestingKind() != NestingKind.TOP_LEVEL
                || !e.getModifiers().contains(Modifier.PUBLIC) || !((TypeElement) e).getTypeParameters().isEmpty()) {
            throw new Invalid(e, "@Options needs a public, top-level, non-generic record");
        }
        TypeElement record = (TypeElement) e;
        String r = record.getSimpleName().toString();
        String pkg = processingEnv.getElementUtils().getPackageOf(record).getQualifiedName().toString();
        if (record.getEnclosedElements().stream().noneMatch(m -> m.getSimpleName().contentEquals("Builder")
                && m.getKind() == ElementKind.CLASS && m.getModifiers().contains(Modifier.STATIC)
                && ((TypeElement) m).getSuperclass().toString().matches("(.*\\.)?" + r + "BuilderBase"))) {
            throw new Invalid(record, "@Options record " + r + " needs a nested class: public static final class Builder extends "
                    + r + "BuilderBase");
        }
        Map<String, String> docs = paramDocs(processingEnv.getElementUtils().getDocComment(record));
        List<Component> components = new ArrayList<>();
        boolean valid = true;
        for (RecordComponentElement rc : record.getRecordComponents()) {
            try {
                components.add(component(rc, docs));
            } catch (Invalid x) { // report every bad component, not just the first
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, x.getMessage(), x.element);
                valid = false;
            }
        }
        if (!valid) {
            return;
        } else if (components.isEmpty()) {
            throw new Invalid(record, "@Options record " + r + " has no components");
        }
        writeBuilderBase(record, pkg, r, components);
        writeOptions(record, pkg, r, components);
    }

    private Component component(RecordComponentElement rc, Map<String, String> docs) throws Invalid {
        String name = rc.getSimpleName().toString();
        TypeMirror t = rc.asType();
        String erased = processingEnv.getTypeUtils().erasure(t).toString();
        Kind kind = t.getKind() == TypeKind.ARRAY ? Kind.ARRAY
                : erased.equals("java.util.List") ? Kind.LIST : erased.equals("java.util.Map") ? Kind.MAP : Kind.VALUE;
        // The numeric kind @Range checks: the primitive itself, the unboxed type, or an array's element.
        TypeMirror scalar = kind == Kind.ARRAY ? ((ArrayType) t).getComponentType() : t;
        String numeric = scalar.getKind().isPrimitive() ? scalar.toString() : UNBOXED.get(scalar.toString());
        VariableTree tree = trees == null ? null : (VariableTree) trees.getTree(rc);
        String type = tree == null ? t.toString() : tree.getType().toString();
        List<String> args = new ArrayList<>();
        if (tree != null && tree.getType() instanceof ParameterizedTypeTree p) {
            p.getTypeArguments().forEach(a -> args.add(a.toString()));
        } else if (t instanceof DeclaredType d) {
            d.getTypeArguments().forEach(a -> args.add(a.toString()));
        }
        String param = kind == Kind.ARRAY ? type.substring(0, type.length() - 2) + "..."
                : kind == Kind.VALUE && UNBOXED.containsKey(t.toString()) ? UNBOXED.get(t.toString()) : type;
        Map<String, Map<String, Object>> checks = new LinkedHashMap<>();
        for (AnnotationMirror m : rc.getAnnotationMirrors()) {
            TypeElement a = (TypeElement) m.getAnnotationType().asElement();
            if (a.getQualifiedName().toString().equals(PKG + "." + a.getSimpleName())) {
                Map<String, Object> values = new LinkedHashMap<>();
                processingEnv.getElementUtils().getElementValuesWithDefaults(m)
                        .forEach((k, v) -> values.put(k.getSimpleName().toString(), ((AnnotationValue) v).getValue()));
                checks.put(a.getSimpleName().toString(), values);
            }
        }
        if (!docs.containsKey(name)) {
            throw new Invalid(rc, "@Options: component " + name + " has no @param line in the record's doc comment");
        }
        Component c = new Component(rc, name, kind, type, param, args, numeric, docs.get(name), checks);
        boolean floating = "float".equals(numeric) || "double".equals(numeric);
        boolean integral = "int".equals(numeric) || "long".equals(numeric);
        if (RESERVED.contains(name)) {
            throw new Invalid(rc, "@Options: a component cannot be named " + name + " (a builder method has that name)");
        } else if (c.has("Range") && !(kind == Kind.VALUE && (integral || floating) || kind == Kind.ARRAY && floating)) {
            throw new Invalid(rc, "@Range applies to int, long, float, double (or their boxes) and float[]/double[], not " + t);
        } else if (c.has("MultipleOf") && !(c.has("Range") && integral && kind == Kind.VALUE)) {
            throw new Invalid(rc, "@MultipleOf needs @Range on an int or long component");
        } else if (c.has("MaxLength") && !t.toString().equals("java.lang.String")) {
            throw new Invalid(rc, "@MaxLength applies to String, not " + t);
        } else if (c.has("Size") && kind != Kind.ARRAY && kind != Kind.LIST) {
            throw new Invalid(rc, "@Size applies to arrays and Lists, not " + t);
        } else if (c.has("Singular") && kind != Kind.LIST && kind != Kind.MAP) {
            throw new Invalid(rc, "@Singular applies to List and Map components, not " + t);
        } else if (c.has("NotNull") && t.getKind().isPrimitive()) {
            throw new Invalid(rc, "@NotNull on a primitive component " + name);
        }
        return c;
    }

    /** The text of each {@code @param} tag of a doc comment, by parameter name. */
    static Map<String, String> paramDocs(String comment) {
        Map<String, String> docs = new LinkedHashMap<>();
        String current = null;
        for (String line : comment == null ? new String[0] : comment.split("\n")) {
            String text = line.strip();
            if (text.startsWith("@")) {
                String[] tag = text.split("\\s+", 3);
                current = tag[0].equals("@param") && tag.length > 1 ? tag[1] : null;
                if (current != null) {
                    docs.put(current, tag.length > 2 ? tag[2] : "");
                }
            } else if (current != null && !text.isEmpty()) {
                docs.merge(current, text, (a, b) -> a + "\n" + b);
            }
        }
        return docs;
    }

    private void writeBuilderBase(TypeElement record, String pkg, String r, List<Component> components) throws IOException {
        String builder = r + ".Builder";
        Set<String> imports = new TreeSet<>(List.of(PKG + ".Checks"));
        if (trees != null) { // the record's own imports, so that its types and {@link}s read the same here
            trees.getPath(record).getCompilationUnit().getImports().forEach(i ->
                    imports.add((i.isStatic() ? "static " : "") + i.getQualifiedIdentifier()));
            if (record.getEnclosedElements().stream().anyMatch(m -> m instanceof TypeElement
                    && !m.getSimpleName().contentEquals("Builder"))) {
                imports.add(pkg + "." + r + ".*");
            }
        }
        for (Component c : components) {
            switch (c.kind) {
                case LIST -> imports.addAll(List.of("java.util.ArrayList", "java.util.List"));
                case MAP -> imports.addAll(List.of("java.util.Collections", "java.util.LinkedHashMap", "java.util.Map"));
                default -> { }
            }
        }
        try (PrintWriter out = new PrintWriter(processingEnv.getFiler().createSourceFile(pkg + "." + r + "BuilderBase", record).openWriter())) {
            out.println("// Generated by sdjava-options-processor from " + r + ".java: edit the record, not this file.");
            out.println("package " + pkg + ";\n");
            imports.forEach(i -> out.println("import " + i + ";"));
            out.println("\n/** The setters, copy and build of {@link " + builder + "}, one per component of {@link " + r + "}. */");
            out.println("abstract class " + r + "BuilderBase {");
            for (Component c : components) {
                String init = switch (c.kind) {
                    case LIST -> " = new ArrayList<>()";
                    case MAP -> " = new LinkedHashMap<>()";
                    default -> "";
                };
                out.println("    " + c.type + " " + c.name + init + ";");
            }
            for (Component c : components) {
                out.println();
                javadoc(out, qualified(c.doc, r), "@param v the value", "@return this builder");
                out.println("    public " + builder + " " + c.name + "(" + c.param + " v) {");
                if (c.has("NotNull") && c.kind != Kind.LIST && c.kind != Kind.MAP) {
                    out.println("        Checks.notNull(\"" + c.name + "\", v);");
                }
                String value = checked(c, switch (c.kind) {
                    case ARRAY -> "v.clone()";
                    case LIST -> "Checks.list(\"" + c.name + "\", v)";
                    case MAP -> "Checks.map(\"" + c.name + "\", v)";
                    case VALUE -> "v";
                });
                boolean nullable = c.kind == Kind.ARRAY && !c.has("NotNull");
                out.println("        this." + c.name + " = " + (nullable ? "v == null ? null : " : "") + value + ";");
                out.println("        return self();\n    }");
                if (c.has("Singular")) {
                    String one = (String) c.get("Singular", "value");
                    out.println();
                    if (c.kind == Kind.LIST) {
                        javadoc(out, "Adds one value to {@code " + c.name + "}.", "@param v the value, not null", "@return this builder");
                        out.println("    public " + builder + " " + one + "(" + c.args.get(0) + " v) {");
                        out.println("        " + c.name + ".add(Checks.notNull(\"" + one + "\", v));");
                    } else {
                        javadoc(out, "Puts one entry into {@code " + c.name + "}.", "@param key the key, not null",
                                "@param value the value", "@return this builder");
                        out.println("    public " + builder + " " + one + "(" + c.args.get(0) + " key, " + c.args.get(1) + " value) {");
                        out.println("        " + c.name + ".put(Checks.notNull(\"" + one + "\", key), value);");
                    }
                    out.println("        return self();\n    }");
                }
            }
            out.println();
            out.println("    /** Sets every option from {@code r}, for {@code " + r + ".toBuilder()}. */");
            out.println("    final " + builder + " from(" + r + " r) {");
            for (Component c : components) {
                String get = "r." + c.name + "()";
                out.println("        " + c.name + " = " + switch (c.kind) {
                    case ARRAY -> get + " == null ? null : " + get + ".clone()";
                    case LIST -> "new ArrayList<>(" + get + ")";
                    case MAP -> "new LinkedHashMap<>(" + get + ")";
                    case VALUE -> get;
                } + ";");
            }
            out.println("        return self();\n    }\n");
            javadoc(out, "A new {@link " + r + "} with the options set so far; the builder can be used again.",
                    "@return the " + r);
            out.println("    public " + r + " build() {");
            for (Component c : components) { // adders bypass the setter's size check
                if (c.has("Size") && c.kind == Kind.LIST) {
                    out.println("        Checks.size(\"" + c.name + "\", " + c.name + ", " + c.get("Size", "min") + ", "
                            + c.get("Size", "max") + ");");
                }
            }
            out.println("        return new " + r + "(");
            for (int i = 0; i < components.size(); i++) {
                Component c = components.get(i);
                out.println("                " + switch (c.kind) {
                    case ARRAY -> c.name + " == null ? null : " + c.name + ".clone()";
                    case LIST -> "List.copyOf(" + c.name + ")";
                    case MAP -> "Collections.unmodifiableMap(new LinkedHashMap<>(" + c.name + "))";
                    case VALUE -> c.name;
                } + (i < components.size() - 1 ? "," : ");"));
            }
            out.println("    }\n");
            out.println("    private " + builder + " self() {");
            out.println("        return (" + builder + ") this;\n    }\n}");
        }
    }

    /** {@code value} wrapped in the checks of the component's annotations. */
    private static String checked(Component c, String value) {
        String name = "\"" + c.name + "\"";
        if (c.has("Size")) {
            value = "Checks.size(" + name + ", " + value + ", " + c.get("Size", "min") + ", " + c.get("Size", "max") + ")";
        }
        if (c.has("Range")) {
            String min = literal(c.numeric, (Double) c.get("Range", "min"));
            String max = literal(c.numeric, (Double) c.get("Range", "max"));
            String multiple = c.has("MultipleOf") ? ", " + literal(c.numeric, ((Long) c.get("MultipleOf", "value")).doubleValue()) : "";
            value = "Checks.range(" + name + ", " + value + ", " + min + ", " + max + multiple + ")";
        }
        if (c.has("MaxLength")) {
            value = "Checks.maxLength(" + name + ", " + value + ", " + c.get("MaxLength", "value") + ")";
        }
        return value;
    }

    /** A Java literal of type {@code numeric} for a bound given as a double. */
    private static String literal(String numeric, double d) {
        return switch (numeric) {
            case "int" -> String.valueOf((int) d);
            case "long" -> (long) d + "L";
            case "float" -> Float.isInfinite((float) d) ? (d > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY") : (float) d + "f";
            default -> Double.isInfinite(d) ? (d > 0 ? "Double.POSITIVE_INFINITY" : "Double.NEGATIVE_INFINITY") : String.valueOf(d);
        };
    }

    /**
     * A record's {@code @param} text made valid in the generated builder base: references relative
     * to the record ({@code {@value #MAX}}, {@code {@link Builder#x}}) name the record.
     */
    static String qualified(String doc, String record) {
        return doc.replaceAll("\\{@(value|link|linkplain)\\s+#", "{@$1 " + record + "#")
                .replaceAll("\\{@(link|linkplain)\\s+Builder#", "{@$1 " + record + ".Builder#");
    }

    private static void javadoc(PrintWriter out, String text, String... tags) {
        out.println("    /**");
        text.lines().forEach(l -> out.println("     * " + l));
        out.println("     *");
        for (String tag : tags) {
            out.println("     * " + tag);
        }
        out.println("     */");
    }

    private void writeOptions(TypeElement record, String pkg, String r, List<Component> components) throws IOException {
        try (PrintWriter out = new PrintWriter(processingEnv.getFiler().createSourceFile(PKG + "." + r + "Options", record).openWriter())) {
            out.println("// Generated by sdjava-options-processor from " + r + ".java: edit the record, not this file.");
            out.println("package " + PKG + ";\n");
            if (!pkg.equals(PKG)) {
                out.println("import " + pkg + "." + r + ";");
            }
            out.println("import java.util.List;\nimport java.util.Map;\n");
            out.println("/** The options of {@link " + r + "}, in declaration order. */");
            out.println("public final class " + r + "Options {");
            out.println("    /** Every option of {@link " + r + "}, in declaration order. */");
            out.println("    public static final List<Option<" + r + ">> ALL = List.of(");
            for (int i = 0; i < components.size(); i++) {
                Component c = components.get(i);
                String cField = c.has("CField") ? "\"" + c.get("CField", "value") + "\"" : "null";
                String type = processingEnv.getTypeUtils().erasure(c.element.asType()).toString()
                        .replaceFirst("^java\\.lang\\.(\\w+)$|^java\\.util\\.(List|Map)$", "$1$2"); // both imported
                out.println("            new Option<>(\"" + c.name + "\", " + cField + ", " + type + ".class, " + r + "::" + c.name + ")"
                        + (i < components.size() - 1 ? "," : ");"));
            }
            out.println("\n    private " + r + "Options() {\n    }\n}");
        }
    }
}
