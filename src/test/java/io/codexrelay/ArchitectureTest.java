package io.codexrelay;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the doors of docs/design.md shut: runs the JDK's {@code jdeps -verbose:package} over the compiled main classes
 * and fails when a package depends on a project package its row of {@link #MAY_USE} does not list. A package without
 * a row is not restricted. Only arrows between project packages count; the JDK and libraries are free.
 */
class ArchitectureTest {
    private static final String P = "io.codexrelay.";

    /**
     * The allowed arrows, the one table to edit. {@code ui} and {@code cli} reach the relay only through {@code app}
     * (ControlApi, the records it owns) and {@code events}; {@code events} is a leaf every room may use, so it depends
     * on no other project package (a RequestFinished carrying a {@code store} row would break that). Sub-packages of a
     * listed package count as that package ({@code codex.sessions} is {@code codex}).
     */
    static final Map<String, Set<String>> MAY_USE = Map.of(
            P + "ui", Set.of(P + "app", P + "events"),
            P + "cli", Set.of(P + "app", P + "events"),
            P + "events", Set.of(),
            // pure translation between dialects: no I/O, no pool, no proxy; the proxy uses it, never the reverse
            P + "convert", Set.of());

    /** One arrow of the package graph. */
    record Arrow(String from, String to) {
        @Override public String toString() { return from + " -> " + to; }
    }

    // "   io.codexrelay.ui        -> io.codexrelay.store        classes"
    private static final Pattern LINE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s+.*$");

    /** The arrows of a {@code jdeps -verbose:package} report between two project packages. */
    static List<Arrow> parse(String jdepsOutput) {
        List<Arrow> out = new ArrayList<>();
        for (String line : jdepsOutput.split("\\R")) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) continue;
            String from = m.group(1), to = m.group(2);
            if (ours(from) && ours(to) && !from.equals(to)) out.add(new Arrow(from, to));
        }
        return out;
    }

    private static boolean ours(String pkg) { return pkg.equals("io.codexrelay") || pkg.startsWith(P); }

    /** The arrows {@code rules} forbid, as "from -> to" lines, sorted. */
    static Set<String> violations(List<Arrow> arrows, Map<String, Set<String>> rules) {
        Set<String> out = new TreeSet<>();
        for (Arrow a : arrows) {
            String room = roomOf(a.from(), rules.keySet());
            if (room == null || roomOf(a.to(), Set.of(room)) != null) continue;   // unrestricted, or inside its own room
            if (roomOf(a.to(), rules.get(room)) == null) out.add(a.toString());
        }
        return out;
    }

    /** The entry of {@code rooms} that {@code pkg} is or lies under, or null. */
    private static String roomOf(String pkg, Set<String> rooms) {
        for (String r : rooms) if (pkg.equals(r) || pkg.startsWith(r + ".")) return r;
        return null;
    }

    static String runJdeps(Path classes) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new AssertionError("jdeps is missing: run the tests on a JDK, not a JRE"));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-e", "io\\.codexrelay.*",
                classes.toString());
        assertThat(rc).as("jdeps exit code; stderr: %s", err).isZero();
        return out.toString();
    }

    static Path mainClasses() throws URISyntaxException {
        return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void uiAndCliSeeOnlyAppAndEvents_andEventsIsALeaf() throws Exception {
        Path classes = mainClasses();
        assertThat(Files.isDirectory(classes.resolve("io/codexrelay/ui"))).as("compiled ui classes in " + classes).isTrue();
        List<Arrow> arrows = parse(runJdeps(classes));
        // The report must be about our code: Main -> cli is always there.
        assertThat(arrows).contains(new Arrow("io.codexrelay", P + "cli"));
        assertThat(violations(arrows, MAY_USE)).as("arrows that break docs/design.md (\"The app door\")").isEmpty();
    }

    @Test
    void checkerFindsAPlantedViolation() {
        String report = String.join("\n",
                "classes -> java.base",
                "   io.codexrelay.ui                                   -> io.codexrelay.app                                  classes",
                "   io.codexrelay.ui                                   -> io.codexrelay.store                                classes",
                "   io.codexrelay.ui.settings                          -> io.codexrelay.config                               classes",
                "   io.codexrelay.cli                                  -> io.codexrelay.events                               classes",
                "   io.codexrelay.cli                                  -> java.util                                          java.base",
                "   io.codexrelay.events                               -> io.codexrelay.store                                classes",
                "   io.codexrelay.app                                  -> io.codexrelay.store                                classes",
                "   io.codexrelay.ui                                   -> io.codexrelay.ui.settings                          classes");
        List<Arrow> arrows = parse(report);
        assertThat(arrows).hasSize(7);   // the java.util arrow and the summary line are not ours
        assertThat(violations(arrows, MAY_USE)).containsExactly(
                "io.codexrelay.events -> io.codexrelay.store",
                "io.codexrelay.ui -> io.codexrelay.store",
                "io.codexrelay.ui.settings -> io.codexrelay.config");
    }

    @Test
    void jdepsSeesAPlantedClassFileViolation(@TempDir Path tmp) throws Exception {
        // Copy one real ui class and one store class into a fresh tree: the ui class that names a store type must be caught.
        Path classes = mainClasses();
        Path ui = classes.resolve("io/codexrelay/ui");
        Path store = classes.resolve("io/codexrelay/store");
        Path leaky = tmp.resolve("io/codexrelay/ui/Leaky.class");
        Files.createDirectories(leaky.getParent());
        Files.createDirectories(tmp.resolve("io/codexrelay/store"));
        Files.write(leaky, LeakyFixture.classBytes());
        try (var s = Files.list(store)) {
            for (Path p : s.toList()) Files.copy(p, tmp.resolve("io/codexrelay/store").resolve(p.getFileName()));
        }
        assertThat(Files.isDirectory(ui)).isTrue();
        assertThat(violations(parse(runJdeps(tmp)), MAY_USE)).contains("io.codexrelay.ui -> io.codexrelay.store");
    }

    /** A class file of package {@code io.codexrelay.ui} that uses {@code io.codexrelay.store.StoreException}. */
    static final class LeakyFixture {
        static byte[] classBytes() {
            // Built by hand so the test tree needs no compiler at run time: a minimal class whose one field has a store type.
            var b = new java.io.ByteArrayOutputStream();
            var d = new java.io.DataOutputStream(b);
            try {
                d.writeInt(0xCAFEBABE);
                d.writeShort(0);
                d.writeShort(61);                       // Java 17
                d.writeShort(7);                        // constant pool count (6 entries)
                d.writeByte(1); d.writeUTF("io/codexrelay/ui/Leaky");               // #1
                d.writeByte(7); d.writeShort(1);                                    // #2 class Leaky
                d.writeByte(1); d.writeUTF("java/lang/Object");                     // #3
                d.writeByte(7); d.writeShort(3);                                    // #4 class Object
                d.writeByte(1); d.writeUTF("leak");                                 // #5
                d.writeByte(1); d.writeUTF("Lio/codexrelay/store/StoreException;"); // #6
                d.writeShort(0x0011);                   // public final
                d.writeShort(2);                        // this
                d.writeShort(4);                        // super
                d.writeShort(0);                        // interfaces
                d.writeShort(1);                        // fields
                d.writeShort(0x0001); d.writeShort(5); d.writeShort(6); d.writeShort(0);
                d.writeShort(0);                        // methods
                d.writeShort(0);                        // attributes
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            return b.toByteArray();
        }
    }
}
