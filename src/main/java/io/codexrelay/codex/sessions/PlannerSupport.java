package io.codexrelay.codex.sessions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The small rules every repair planner shares: which homes may be touched, how ids and names are read and shown. */
final class PlannerSupport {
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private PlannerSupport() {}

    /** The sessions a repair was asked for, in catalog order, and a refusal for each asked-for id the catalog lacks. */
    record Selection(List<SessionRecord> sessions, List<SessionRepairs.Refusal> notFound) {}

    /**
     * Picks the sessions whose id is in {@code ids} (every session when {@code ids} is null). With {@code eachIdOnce},
     * a session id recorded in two Codex homes is taken in the first only.
     */
    static Selection select(SessionCatalog.Snapshot snap, Set<String> ids, boolean eachIdOnce) {
        Set<String> wanted = ids == null ? null : lower(ids);
        Set<String> seen = new HashSet<>();
        List<SessionRecord> picked = new ArrayList<>();
        for (SessionRecord s : snap.sessions()) {
            if (wanted != null && !wanted.contains(s.id())) continue;
            if (!seen.add(s.id()) && eachIdOnce) continue;
            picked.add(s);
        }
        List<SessionRepairs.Refusal> notFound = new ArrayList<>();
        if (wanted != null) {
            for (String id : wanted) if (!seen.contains(id)) notFound.add(new SessionRepairs.Refusal(id, "no session with this id was found"));
        }
        return new Selection(picked, notFound);
    }

    /** Why nothing in this home may be changed now (its thread database is unreadable), or null. */
    static String homeProblem(SessionCatalog.Snapshot snap, Path home) {
        for (SessionCatalog.HomeStatus h : snap.homes()) {
            if (h.home().equals(home) && h.stateDbProblem() != null) return h.stateDbProblem();
        }
        return null;
    }

    static byte[] firstLineOf(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            var buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[65536];
            int n;
            while ((n = in.read(chunk)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (chunk[i] == '\n') {
                        buf.write(chunk, 0, i);
                        return buf.toByteArray();
                    }
                }
                buf.write(chunk, 0, n);
            }
            return buf.toByteArray();
        }
    }

    static boolean isUnder(Path file, Path dir) {
        return file != null && file.toAbsolutePath().normalize().startsWith(dir.toAbsolutePath().normalize());
    }

    /** Session ids as the user typed them, trimmed and lower-cased as Codex writes them. */
    static Set<String> lower(Set<String> ids) {
        Set<String> out = new LinkedHashSet<>();
        for (String id : ids) out.add(id.trim().toLowerCase());
        return out;
    }

    static String shortName(SessionRecord s) {
        String n = SPACES.matcher(s.displayName()).replaceAll(" ").strip();
        return n.length() <= 60 ? n : n.substring(0, 59) + "…";
    }

    /** "1 session", "3 sessions". */
    static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
