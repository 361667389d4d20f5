package io.codexrelay.installer;

import io.codexrelay.testing.CodexCli;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the installer files without running jpackage (minutes, too slow for the suite): scripts are executable
 * and parse, the .desktop entry is valid, the launcher's lean JVM options are accepted by this JDK and reach java.
 */
class InstallerFilesTest {
    private static final Path INSTALLER = Path.of("installer");
    private static final Path BUILD = INSTALLER.resolve("build.sh");
    private static final Path LAUNCHER = INSTALLER.resolve("codex-relay");
    private static final Path DESKTOP = INSTALLER.resolve("linux/codex-relay.desktop");
    private static final Pattern LEAN_LINE = Pattern.compile("(?m)^LEAN_JVM_OPTS=\"([^\"]+)\"$");
    private static final Pattern SHARED_LINE = Pattern.compile("(?m)^SHARED_JVM_OPTS=\"([^\"]+)\"$");

    @Test
    void scriptsAreExecutableAndParse() throws Exception {
        for (Path script : List.of(BUILD, LAUNCHER, INSTALLER.resolve("measure-idle-rss.sh"))) {
            assertThat(script).as("%s exists", script).isRegularFile();
            assertThat(Files.isExecutable(script)).as("%s is executable (git update-index --chmod=+x)", script).isTrue();
            assertThat(Files.readString(script)).startsWith("#!/usr/bin/env bash\n");
            Result r = run(List.of("bash", "-n", script.toString()), Map.of());
            assertThat(r.exit).as("bash -n %s: %s", script, r.err).isZero();
        }
        // Debian maintainer scripts run under /bin/sh (dash), not bash.
        for (Path script : List.of(INSTALLER.resolve("linux/postinst"), INSTALLER.resolve("linux/prerm"))) {
            assertThat(Files.isExecutable(script)).as("%s is executable", script).isTrue();
            assertThat(Files.readString(script)).startsWith("#!/bin/sh\n");
            Result r = run(List.of("sh", "-n", script.toString()), Map.of());
            assertThat(r.exit).as("sh -n %s: %s", script, r.err).isZero();
        }
    }

    @Test
    void leanJvmOptionsAreAcceptedByThisJdkWithoutWarnings() throws Exception {
        List<String> opts = leanOptions();
        assertThat(opts).contains("-XX:+UseSerialGC").anyMatch(o -> o.startsWith("-Xmx"));
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(opts);
        cmd.add("-version");
        Result r = run(cmd, Map.of());
        assertThat(r.exit).as("java %s -version: %s", opts, r.err).isZero();
        // A flag the chosen GC ignores (-XX:+UseStringDeduplication with SerialGC on 17) only warns, and unified
        // logging prints that warning on stdout: catch it on both.
        assertThat((r.out + r.err).toLowerCase()).as("java %s -version printed a warning", opts)
                .doesNotContain("warning").doesNotContain("ignoring").doesNotContain("unrecognized");
    }

    /** The shared profile's options come after the lean ones and must win: C2 alone, and the JDK takes them quietly. */
    @Test
    void sharedProfileOptionsAreAcceptedByThisJdkAndTurnOffC1Only() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(leanOptions());
        cmd.addAll(sharedOptions());
        cmd.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Result r = run(cmd, Map.of());
        assertThat(r.exit).as("java ... -version: %s", r.err).isZero();
        assertThat(r.err.toLowerCase()).as("java printed a warning").doesNotContain("warning").doesNotContain("unrecognized");
        assertThat(r.out).containsPattern("bool TieredCompilation\\s+= false")
                .containsPattern("MinHeapFreeRatio\\s+= 20\\b").containsPattern("TrimNativeHeapInterval\\s+= 5000\\b");
    }

    @Test
    void launcherSharedProfileAddsItsOptionsBetweenTheLeanAndTheUsersAndSetsMallocArenas(@TempDir Path tmp) throws Exception {
        Path jdk = fakeJdk(tmp);
        Path jar = Files.writeString(tmp.resolve("relay.jar"), "not really a jar");
        Result r = run(List.of(LAUNCHER.toString(), "serve"), Map.of("JAVA_HOME", jdk.toString(), "CODEX_RELAY_JAR", jar.toString(),
                "CODEX_RELAY_JAVA_OPTS", "-Xmx256m", "CODEX_RELAY_PROFILE", "shared"));
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.err).isEmpty();
        List<String> expected = new ArrayList<>(List.of("MALLOC_ARENA_MAX=2"));
        expected.addAll(leanOptions());
        expected.addAll(sharedOptions());
        expected.addAll(List.of("-Xmx256m", "-jar", jar.toString(), "serve"));
        assertThat(r.out.lines().toList()).containsExactlyElementsOf(expected);
    }

    @Test
    void launcherSharedProfileOnAJdkWithoutNativeTrimStartsWithoutItAndSaysSo(@TempDir Path tmp) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("old-jdk/bin"));
        Path java = Files.writeString(bin.resolve("java"), "#!/bin/sh\n"
                + "case \"$*\" in *TrimNativeHeapInterval*-version*) echo \"Unrecognized VM option 'TrimNativeHeapInterval=5000'\" >&2; exit 1;; esac\n"
                + "for a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = Files.writeString(tmp.resolve("relay.jar"), "not really a jar");
        Result r = run(List.of(LAUNCHER.toString(), "serve"), Map.of("JAVA_HOME", bin.getParent().toString(),
                "CODEX_RELAY_JAR", jar.toString(), "CODEX_RELAY_PROFILE", "shared"));
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.err).contains("no -XX:TrimNativeHeapInterval").contains("17.0.9");
        assertThat(r.out.lines().toList()).contains("-XX:-TieredCompilation", "-XX:MinHeapFreeRatio=20", "serve")
                .noneMatch(a -> a.contains("TrimNativeHeapInterval"));
    }

    @Test
    void launcherRefusesAnUnknownProfileAndNamesTheTwo(@TempDir Path tmp) throws Exception {
        Result r = run(List.of(LAUNCHER.toString(), "serve"), Map.of("JAVA_HOME", fakeJdk(tmp).toString(),
                "CODEX_RELAY_JAR", Files.writeString(tmp.resolve("relay.jar"), "x").toString(), "CODEX_RELAY_PROFILE", "server"));
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.out).isEmpty();
        assertThat(r.err).contains("CODEX_RELAY_PROFILE is 'server'").contains("desktop").contains("shared");
    }

    /** The daemon started at login (and by `codex on`) runs with the launcher's options, not a copy that drifted. */
    @Test
    void startAtLoginUsesTheLaunchersOptions() throws Exception {
        assertThat(io.codexrelay.platform.Autostart.LEAN_JVM).containsExactlyElementsOf(leanOptions());
    }

    @Test
    void launcherRunsJavaWithLeanOptionsThenUserOptionsThenJarAndArguments(@TempDir Path tmp) throws Exception {
        Path jdk = fakeJdk(tmp);
        Path jar = Files.writeString(tmp.resolve("my relay.jar"), "not really a jar");
        Result r = run(List.of(LAUNCHER.toString(), "serve", "two words", "--port", "0"),
                Map.of("JAVA_HOME", jdk.toString(), "CODEX_RELAY_JAR", jar.toString(), "CODEX_RELAY_JAVA_OPTS", "-Xmx256m"));
        assertThat(r.exit).as(r.err).isZero();
        List<String> expected = new ArrayList<>(leanOptions());
        expected.addAll(List.of("-Xmx256m", "-jar", jar.toString(), "serve", "two words", "--port", "0"));
        assertThat(r.out.lines().toList()).containsExactlyElementsOf(expected);
    }

    @Test
    void launcherWithoutAJarSaysHowToBuildOne(@TempDir Path tmp) throws Exception {
        Result r = run(List.of(LAUNCHER.toString(), "--version"),
                Map.of("JAVA_HOME", fakeJdk(tmp).toString(), "CODEX_RELAY_JAR", tmp.resolve("missing.jar").toString()));
        assertThat(r.exit).isEqualTo(1);
        assertThat(r.out).isEmpty();
        assertThat(r.err).contains("no codex-relay.jar found").contains("mvn -q -DskipTests clean package");
    }

    @Test
    void buildScriptTakesItsOptionsFromTheLauncherAndPointsAtRealThings() throws Exception {
        String build = Files.readString(BUILD);
        assertThat(build).contains("LEAN_JVM_OPTS=").contains("installer/codex-relay").contains("--java-options \"$lean_opts\"");
        assertThat(build).contains("--type app-image").contains("--type deb").contains("--runtime-image");
        for (String module : List.of("java.desktop", "jdk.unsupported", "java.sql", "jdk.crypto.ec", "java.net.http")) {
            assertThat(build).as("jlink module %s", module).contains(module);
        }
        Matcher main = Pattern.compile("--main-class (\\S+)").matcher(build);
        assertThat(main.find()).isTrue();
        assertThat(Class.forName(main.group(1)).getMethod("main", String[].class)).isNotNull();
        Matcher icons = Pattern.compile("\"\\$root/(icons/[^\"]+)\"").matcher(build);
        int iconRefs = 0;
        while (icons.find()) {
            assertThat(Path.of(icons.group(1))).as("icon referenced by build.sh").isRegularFile();
            iconRefs++;
        }
        assertThat(iconRefs).isGreaterThanOrEqualTo(2);
        assertThat(build).contains("--resource-dir \"$root/installer/linux\"");
    }

    @Test
    void desktopEntryHasWhatMenusAndJpackageNeed() throws IOException {
        List<String> lines = Files.readAllLines(DESKTOP, StandardCharsets.UTF_8);
        assertThat(lines.get(0)).isEqualTo("[Desktop Entry]");
        Set<String> keys = new HashSet<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank() || line.startsWith("#")) continue;
            assertThat(line).as("key=value line").contains("=");
            String key = line.substring(0, line.indexOf('='));
            assertThat(keys.add(key)).as("duplicate key %s", key).isTrue();
        }
        assertThat(lines).contains("Type=Application", "Name=codex-relay", "Terminal=false",
                // where jpackage puts the launcher and the --icon of a package named codex-relay
                "Exec=/opt/codex-relay/bin/codex-relay", "Icon=/opt/codex-relay/lib/codex-relay.png");
        // jpackage only uses a resource named after the app; the maintainer scripts copy it under that name.
        assertThat(DESKTOP.getFileName().toString()).isEqualTo("codex-relay.desktop");
        assertThat(Files.readString(INSTALLER.resolve("linux/postinst")))
                .contains("/opt/codex-relay/lib/codex-relay-codex-relay.desktop").contains("/usr/share/applications/codex-relay.desktop");
        assertThat(Files.readString(INSTALLER.resolve("linux/prerm"))).contains("rm -f /usr/share/applications/codex-relay.desktop");
    }

    @Test
    void desktopEntryPassesDesktopFileValidate() throws Exception {
        Path validator = onPath("desktop-file-validate");
        if (validator == null) {
            String msg = "desktop-file-validate not found (apt-get install -y desktop-file-utils)";
            if (CodexCli.isCi()) Assertions.fail("CI=true and " + msg);
            System.err.println("!!!!!!!! SKIPPING desktop-file-validate: " + msg);
            Assumptions.abort("SKIPPED LOUDLY: " + msg);
        }
        Result r = run(List.of(validator.toString(), DESKTOP.toString()), Map.of());
        assertThat(r.exit).as(r.out + r.err).isZero();
        assertThat(r.out + r.err).as("desktop-file-validate has no errors, warnings or hints").isBlank();
    }

    private static List<String> leanOptions() throws IOException {
        Matcher m = LEAN_LINE.matcher(Files.readString(LAUNCHER));
        assertThat(m.find()).as("LEAN_JVM_OPTS=\"...\" line in %s", LAUNCHER).isTrue();
        return Arrays.asList(m.group(1).trim().split("\\s+"));
    }

    private static List<String> sharedOptions() throws IOException {
        Matcher m = SHARED_LINE.matcher(Files.readString(LAUNCHER));
        assertThat(m.find()).as("SHARED_JVM_OPTS=\"...\" line in %s", LAUNCHER).isTrue();
        return Arrays.asList(m.group(1).trim().split("\\s+"));
    }

    /** A JAVA_HOME whose bin/java prints MALLOC_ARENA_MAX=... when set, then each argument on its own line. */
    private static Path fakeJdk(Path tmp) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("fake-jdk/bin"));
        Path java = Files.writeString(bin.resolve("java"), "#!/bin/sh\n"
                + "[ -n \"${MALLOC_ARENA_MAX:-}\" ] && echo \"MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX\"\n"
                + "for a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin.getParent();
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    private record Result(int exit, String out, String err) {}

    private static Result run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("CODEX_RELAY_JAVA_OPTS");
        pb.environment().remove("CODEX_RELAY_JAR");
        pb.environment().remove("CODEX_RELAY_PROFILE");
        pb.environment().remove("MALLOC_ARENA_MAX");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
