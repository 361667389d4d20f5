package io.codexrelay.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.app.FrontEnd;
import io.codexrelay.app.SessionsService;
import io.codexrelay.app.SessionsService.Details;
import io.codexrelay.app.SessionsService.Finding;
import io.codexrelay.app.SessionsService.Outcome;
import io.codexrelay.app.SessionsService.Preview;
import io.codexrelay.app.SessionsService.View;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code codex-relay sessions ...}: find, resume and repair Codex sessions. Works on the files, with or without a
 * running daemon. Exit codes: 0 done, 1 error, 2 usage, 3 not found / nothing to do, 4 some sessions refused
 * (e.g. a Codex is writing them), 5 doctor found problems. {@code --json} output is documented in docs/sessions.md.
 */
@Command(name = "sessions", mixinStandardHelpOptions = true,
        description = "Find, resume and repair Codex sessions (all providers, all directories).",
        subcommands = {SessionsCommand.ListCmd.class, SessionsCommand.LastCmd.class, SessionsCommand.ShowCmd.class,
                SessionsCommand.DoctorCmd.class, SessionsCommand.RetagCmd.class, SessionsCommand.ReindexCmd.class,
                SessionsCommand.UnarchiveCmd.class, SessionsCommand.TrashCmd.class, SessionsCommand.RestoreCmd.class,
                SessionsCommand.MoveCmd.class,
                SessionsCommand.CopyCmd.class,
                SessionsCommand.UndoCmd.class, SessionsCommand.WindowCmd.class})
public final class SessionsCommand implements Callable<Integer> {
    private static final java.util.regex.Pattern SPACES = java.util.regex.Pattern.compile("\\s+");
    public static final int OK = 0, ERROR = 1, USAGE = 2, NOT_FOUND = 3, REFUSED = 4, PROBLEMS = 5;
    /** Bumped only when a field is removed or changes meaning; new fields may appear at any time. */
    public static final int JSON_FORMAT = 1;

    private final Map<String, String> env;
    private final Clock clock;

    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--codex-home", scope = CommandLine.ScopeType.INHERIT, paramLabel = "DIR",
            description = "Codex home to read (default: $CODEX_HOME, else ~/.codex).")
    Path codexHome;

    @Option(names = "--home", scope = CommandLine.ScopeType.INHERIT, paramLabel = "NAME",
            description = "Read only this named Codex home (`codex-relay homes list`).")
    String home;

    @Option(names = "--all-homes", scope = CommandLine.ScopeType.INHERIT,
            description = "Read every known Codex home: the default one, codex.extra_homes and every named home.")
    boolean allHomes;

    public SessionsCommand() {
        this(System.getenv(), Clock.systemUTC());
    }

    public SessionsCommand(Map<String, String> env, Clock clock) {
        this.env = env;
        this.clock = clock;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return USAGE;
    }

    SessionsService open() {
        if (home != null || allHomes) {
            try {
                return SessionsService.open(env, codexHome, home, allHomes, clock);
            } catch (io.codexrelay.app.ControlException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        return SessionsService.open(env, codexHome, clock);
    }

    /** Progress of a cold scan on the terminal (stderr), only when there is one. */
    SessionsService.Progress progress() {
        if (System.console() == null) return null;
        PrintWriter err = spec.commandLine().getErr();
        return (done, total) -> {
            if (total < 200) return;
            err.print("\rReading Codex session files: " + done + " / " + total + (done == total ? "\r" + " ".repeat(60) + "\r" : ""));
            err.flush();
        };
    }

    Path cwd() {
        String pwd = env.get("PWD");
        return Path.of(pwd != null && !pwd.isBlank() ? pwd : System.getProperty("user.dir")).toAbsolutePath().normalize();
    }

    // ---- output helpers -------------------------------------------------------------------------------------------

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

    static String when(Instant t) {
        return t == null ? "????-??-?? ??:??" : WHEN.format(t.atZone(ZoneId.systemDefault()));
    }

    static String clip(String s, int n) {
        if (s == null) return "";
        s = SPACES.matcher(s).replaceAll(" ").strip();
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    static ObjectNode json(View v) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", v.id());
        o.put("name", v.name());
        o.put("title", v.title());
        o.put("displayName", v.displayName());
        o.put("firstUserMessage", v.firstUserMessage());
        o.put("lastUserMessage", v.lastUserMessage());
        o.put("lastAssistantMessage", v.lastAssistantMessage());
        o.put("cwd", v.cwd());
        ObjectNode git = o.putObject("git");
        git.put("origin", v.gitOrigin());
        git.put("branch", v.gitBranch());
        git.put("sha", v.gitSha());
        o.put("createdAt", v.createdAt() == null ? null : v.createdAt().toString());
        o.put("updatedAt", v.updatedAt() == null ? null : v.updatedAt().toString());
        o.put("turns", v.turns());
        o.put("tokensUsed", v.tokensUsed());
        o.put("model", v.model());
        o.put("provider", v.provider());
        o.put("source", v.source());
        o.put("interactive", v.interactive());
        o.put("archived", v.archived());
        o.put("codexHome", v.codexHome());
        o.put("rolloutPath", v.rolloutPath());
        o.put("hasDbRow", v.hasDbRow());
        o.put("hasRollout", v.hasRollout());
        o.put("cliVersion", v.cliVersion());
        ArrayNode flags = o.putArray("flags");
        v.flags().forEach(flags::add);
        ArrayNode accounts = o.putArray("relayAccounts");
        for (var a : v.relayAccounts()) {
            accounts.addObject().put("account", a.account()).put("requests", a.requests())
                    .put("inputTokens", a.inputTokens()).put("outputTokens", a.outputTokens());
        }
        o.put("resumeCommand", v.resumeCommand());
        return o;
    }

    static ObjectNode json(Preview p, Outcome o, boolean dryRun) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", JSON_FORMAT);
        n.put("operation", p != null ? p.operation() : o.operation());
        n.put("dryRun", dryRun);
        if (p != null) {
            n.put("summary", p.summary());
            ArrayNode planned = n.putArray("planned");
            for (var c : p.changes()) change(planned.addObject(), c);
        }
        ArrayNode refused = n.putArray("refused");
        List<SessionsService.Refusal> rs = o != null ? o.refused() : p.refused();
        for (var r : rs) refused.addObject().put("sessionId", r.sessionId()).put("reason", r.reason());
        if (o != null) {
            n.put("journalId", o.journalId());
            ArrayNode done = n.putArray("done");
            for (var c : o.done()) change(done.addObject(), c);
            ArrayNode failures = n.putArray("failures");
            o.failures().forEach(failures::add);
        }
        ArrayNode notes = n.putArray("notes");
        (o != null ? o.notes() : p.notes()).forEach(notes::add);
        if (p != null && o != null) p.notes().stream().filter(x -> !o.notes().contains(x)).forEach(notes::add);
        return n;
    }

    private static void change(ObjectNode o, SessionsService.PlannedChange c) {
        o.put("sessionId", c.sessionId());
        o.put("codexHome", c.codexHome());
        o.put("description", c.description());
        ArrayNode d = o.putArray("details");
        c.details().forEach(d::add);
    }

    static void print(PrintWriter out, ObjectNode n) {
        try {
            out.println(JSON.writeValueAsString(n));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    static void printPreview(PrintWriter out, Preview p, boolean dryRun) {
        out.println((dryRun ? "Dry run — nothing is changed. " : "") + p.summary() + ":");
        for (var c : p.changes()) {
            out.println("  " + (c.sessionId() == null ? "" : c.sessionId() + "  ") + c.description());
            for (String d : c.details()) out.println("      " + d);
        }
        printRefusals(out, p.refused());
        for (String n : p.notes()) out.println("Note: " + n);
        out.flush();
    }

    static void printRefusals(PrintWriter out, List<SessionsService.Refusal> refused) {
        for (var r : refused) out.println("  not done" + (r.sessionId() == null ? "" : " for " + r.sessionId()) + ": " + r.reason());
    }

    static int report(PrintWriter out, PrintWriter err, Outcome o) {
        for (var c : o.done()) out.println("  done: " + (c.sessionId() == null ? "" : c.sessionId() + "  ") + c.description());
        printRefusals(err, o.refused());
        for (String f : o.failures()) err.println("  failed: " + f);
        for (String n : o.notes()) out.println(n);
        if (o.journalId() != null) out.println("Undo with: codex-relay sessions undo   (journal " + o.journalId() + ")");
        out.flush();
        err.flush();
        return exitOf(o);
    }

    static int exitOf(Outcome o) {
        if (!o.failures().isEmpty()) return ERROR;
        if (!o.refused().isEmpty()) return o.done().isEmpty() && o.refused().stream().allMatch(r -> r.reason().startsWith("no session")
                || r.reason().startsWith("it is not in") || r.reason().equals("there is no repair to undo")) ? NOT_FOUND : REFUSED;
        return OK;
    }

    /** Runs a preview: prints it (dry run) or applies it and prints the outcome. */
    static int previewOrApply(SessionsCommand parent, SessionsService svc, Preview p, boolean dryRun, boolean json) {
        PrintWriter out = parent.spec.commandLine().getOut(), err = parent.spec.commandLine().getErr();
        if (dryRun) {
            if (json) print(out, json(p, null, true));
            else printPreview(out, p, true);
            if (p.isEmpty()) return p.refused().isEmpty() ? NOT_FOUND : exitOf(new Outcome(p.operation(), null, List.of(), p.refused(), List.of(), List.of()));
            return p.refused().isEmpty() ? OK : REFUSED;
        }
        if (p.isEmpty()) {
            if (json) print(out, json(p, new Outcome(p.operation(), null, List.of(), p.refused(), List.of(), p.notes()), false));
            else {
                out.println("Nothing to do: " + p.summary() + ".");
                printRefusals(err, p.refused());
                for (String n : p.notes()) out.println("Note: " + n);
                out.flush();
                err.flush();
            }
            return p.refused().isEmpty() ? NOT_FOUND : exitOf(new Outcome(p.operation(), null, List.of(), p.refused(), List.of(), List.of()));
        }
        Outcome o = svc.apply(p);
        if (json) {
            print(out, json(p, o, false));
            return exitOf(o);
        }
        out.println(p.summary() + ":");
        for (var c : p.changes()) {
            for (String d : c.details()) out.println("      " + d);
        }
        for (String n : p.notes()) out.println("Note: " + n);
        return report(out, err, o);
    }

    static void printProblems(PrintWriter err, List<String> problems) {
        for (String p : problems) err.println("warning: " + p);
        err.flush();
    }

    // ---- subcommands ----------------------------------------------------------------------------------------------

    @Command(name = "list", mixinStandardHelpOptions = true, description = {
            "Sessions of this directory (or --project DIR, or --all), newest first, every provider.",
            "Exit: 0 listed, 1 the Codex home cannot be read."})
    static final class ListCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Option(names = "--project", paramLabel = "DIR", description = "Sessions recorded in DIR.") Path project;
        @Option(names = "--all", description = "Sessions of every directory.") boolean all;
        @Option(names = "--json", description = "JSON output (see docs/sessions.md).") boolean json;
        @Option(names = "--provider", paramLabel = "ID", description = "Only sessions recorded under this provider.") String provider;
        @Option(names = "--archived", description = "Only archived sessions.") boolean archived;

        @Override
        public Integer call() {
            PrintWriter out = parent.spec.commandLine().getOut(), err = parent.spec.commandLine().getErr();
            try (SessionsService svc = parent.open()) {
                var listing = svc.refresh(parent.progress());
                Path dir = all ? null : (project != null ? project.toAbsolutePath().normalize() : parent.cwd());
                List<View> shown = new ArrayList<>();
                for (View v : listing.sessions()) {
                    if (dir != null && (v.cwd() == null || !Path.of(v.cwd()).toAbsolutePath().normalize().equals(dir))) continue;
                    if (provider != null && !provider.equals(v.provider())) continue;
                    if (archived && !v.archived()) continue;
                    shown.add(v);
                }
                boolean homeMissing = svc.codexHomes().stream().noneMatch(java.nio.file.Files::isDirectory);
                if (json) {
                    ObjectNode n = JSON.createObjectNode();
                    n.put("format", JSON_FORMAT);
                    ArrayNode homes = n.putArray("codexHomes");
                    listing.codexHomes().forEach(homes::add);
                    ArrayNode problems = n.putArray("problems");
                    listing.problems().forEach(problems::add);
                    n.put("total", listing.sessions().size());
                    ArrayNode arr = n.putArray("sessions");
                    for (View v : shown) arr.add(json(v));
                    print(out, n);
                } else {
                    printProblems(err, listing.problems());
                    printGrouped(out, shown);
                    if (shown.isEmpty() && dir != null && !listing.sessions().isEmpty()) {
                        out.println("No sessions recorded in " + dir + ". `codex-relay sessions list --all` lists all "
                                + listing.sessions().size() + ".");
                    }
                    out.flush();
                }
                return homeMissing ? ERROR : OK;
            }
        }
    }

    private static void pad(StringBuilder sb, String s, int width) {
        sb.append(s);
        for (int i = s.length(); i < width; i++) sb.append(' ');
    }

    static void printGrouped(PrintWriter out, List<View> sessions) {
        Map<String, List<View>> byProject = new LinkedHashMap<>();
        for (View v : sessions) byProject.computeIfAbsent(v.cwd() == null ? "(unknown directory)" : v.cwd(), k -> new ArrayList<>()).add(v);
        for (var e : byProject.entrySet()) {
            out.println(e.getKey());
            for (View v : e.getValue()) {
                String marks = (v.archived() ? " [archived]" : "") + (v.flags().isEmpty() ? "" : " [" + String.join(", ", v.flags()) + "]");
                StringBuilder line = new StringBuilder(160).append("  ").append(when(v.updatedAt())).append("  ").append(v.id()).append("  ");
                pad(line, clip(v.provider(), 12), 13);
                pad(line, v.interactive() ? "tui" : clip(v.source(), 5), 6);
                String turns = Integer.toString(v.turns());
                line.append(" ".repeat(Math.max(0, 3 - turns.length()))).append(turns).append(v.turns() == 1 ? " turn   " : " turns  ")
                        .append(clip(v.displayName(), 60)).append(marks);
                out.println(line);
            }
        }
    }

    @Command(name = "last", mixinStandardHelpOptions = true, description = {
            "The newest session of this directory (or --project DIR) and the command that resumes it.",
            "Exit: 0 found, 3 none recorded there."})
    static final class LastCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Option(names = "--project", paramLabel = "DIR") Path project;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            PrintWriter out = parent.spec.commandLine().getOut(), err = parent.spec.commandLine().getErr();
            Path dir = project != null ? project.toAbsolutePath().normalize() : parent.cwd();
            try (SessionsService svc = parent.open()) {
                svc.refresh(parent.progress());
                Optional<View> v = svc.newestIn(dir);
                if (v.isEmpty()) {
                    if (json) print(out, JSON.createObjectNode().put("format", JSON_FORMAT).putNull("session"));
                    err.println("No Codex session was recorded in " + dir + ".");
                    err.flush();
                    return NOT_FOUND;
                }
                if (json) {
                    ObjectNode n = JSON.createObjectNode().put("format", JSON_FORMAT);
                    n.set("session", json(v.get()));
                    print(out, n);
                } else {
                    View s = v.get();
                    out.println(when(s.updatedAt()) + "  " + s.id() + "  " + clip(s.displayName(), 70) + "  (provider " + s.provider() + ")");
                    out.println(s.resumeCommand());
                    out.flush();
                }
                return OK;
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = {
            "One session: where it lives, its first and last messages, which relay accounts served it, and why it may be missing from `codex resume`.",
            "Exit: 0 found, 3 unknown id."})
    static final class ShowCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Parameters(paramLabel = "ID", description = "Session id or a unique prefix.") String id;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            PrintWriter out = parent.spec.commandLine().getOut(), err = parent.spec.commandLine().getErr();
            try (SessionsService svc = parent.open()) {
                var listing = svc.refresh(parent.progress());
                Optional<Details> d = svc.details(id, parent.cwd());
                if (d.isEmpty()) {
                    printProblems(err, listing.problems());
                    err.println("No session " + id + " in " + String.join(", ", listing.codexHomes()) + " or the relay's trash.");
                    err.flush();
                    return NOT_FOUND;
                }
                Details det = d.get();
                if (json) {
                    ObjectNode n = JSON.createObjectNode().put("format", JSON_FORMAT);
                    n.set("session", json(det.session()));
                    ArrayNode first = n.putArray("firstMessages"), last = n.putArray("lastMessages");
                    for (var m : det.firstMessages()) first.addObject().put("role", m.role()).put("text", m.text()).put("at", String.valueOf(m.at()));
                    for (var m : det.lastMessages()) last.addObject().put("role", m.role()).put("text", m.text()).put("at", String.valueOf(m.at()));
                    ArrayNode diag = n.putArray("diagnosis");
                    for (Finding f : det.diagnosis()) diag.addObject().put("code", f.code()).put("text", f.text()).put("fix", f.fix()).put("blocking", f.blocking());
                    print(out, n);
                    return OK;
                }
                View v = det.session();
                out.println(v.displayName());
                out.println("  id          " + v.id());
                if (v.cwd() != null) out.println("  project     " + v.cwd() + (v.gitBranch() == null ? "" : "  (git " + v.gitBranch() + ")"));
                if (v.gitOrigin() != null) out.println("  repository  " + v.gitOrigin());
                if (v.updatedAt() != null) out.println("  created     " + when(v.createdAt()) + "   updated " + when(v.updatedAt()));
                if (v.provider() != null) out.println("  provider    " + v.provider() + "   model " + v.model() + "   source " + v.source());
                if (v.updatedAt() != null) out.println("  turns       " + v.turns() + "   tokens " + v.tokensUsed() + (v.archived() ? "   archived" : ""));
                if (v.rolloutPath() != null) out.println("  file        " + v.rolloutPath());
                if (!v.flags().isEmpty()) out.println("  flags       " + String.join(", ", v.flags()));
                for (var a : v.relayAccounts()) {
                    out.println("  relay       " + a.account() + ": " + a.requests() + (a.requests() == 1 ? " request, " : " requests, ") + (a.inputTokens() + a.outputTokens()) + " tokens");
                }
                if (!det.firstMessages().isEmpty()) {
                    out.println();
                    for (var m : det.firstMessages()) out.println("  " + m.role() + ": " + clip(m.text(), 200));
                    if (!det.lastMessages().isEmpty()) out.println("  ...");
                    for (var m : det.lastMessages()) out.println("  " + m.role() + ": " + clip(m.text(), 200));
                }
                out.println();
                out.println("Why it may be missing from `codex resume`:");
                for (Finding f : det.diagnosis()) {
                    out.println("  - " + f.text());
                    if (f.fix() != null) out.println("      " + f.fix());
                }
                if (v.resumeCommand() != null) {
                    out.println();
                    out.println("Resume: " + v.resumeCommand());
                }
                out.flush();
                return OK;
            }
        }
    }

    @Command(name = "doctor", mixinStandardHelpOptions = true, description = {
            "Checks every session: files and database in agreement, readable, providers in use.",
            "Exit: 0 healthy, 5 problems found, 1 the home cannot be read."})
    static final class DoctorCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            PrintWriter out = parent.spec.commandLine().getOut();
            try (SessionsService svc = parent.open()) {
                var d = svc.doctor(parent.cwd());
                boolean homeMissing = svc.codexHomes().stream().noneMatch(java.nio.file.Files::isDirectory);
                if (json) {
                    ObjectNode n = JSON.createObjectNode().put("format", JSON_FORMAT);
                    n.put("healthy", d.healthy());
                    n.put("total", d.total());
                    n.put("currentProvider", d.currentProvider());
                    ArrayNode problems = n.putArray("problems");
                    d.problems().forEach(problems::add);
                    ObjectNode providers = n.putObject("providers");
                    d.providerCounts().forEach(providers::put);
                    ObjectNode flags = n.putObject("flags");
                    d.flagCounts().forEach(flags::put);
                    ArrayNode att = n.putArray("attention");
                    for (View v : d.attention()) att.add(json(v));
                    print(out, n);
                } else {
                    out.println(d.total() + (d.total() == 1 ? " session in " : " sessions in ") + String.join(", ", svc.codexHomes().stream().map(Path::toString).toList()));
                    for (String p : d.problems()) out.println("problem: " + p);
                    out.println("Codex uses provider '" + d.currentProvider() + "'. Sessions per provider:");
                    d.providerCounts().forEach((p, c) -> out.println("  " + p + ": " + c
                            + (p.equals(d.currentProvider()) ? "" : "   (move them: codex-relay sessions retag --from "
                            + p + " --to " + d.currentProvider() + ")")));
                    if (!d.flagCounts().isEmpty()) {
                        out.println("Needs attention:");
                        d.flagCounts().forEach((f, c) -> out.println("  " + f + ": " + c));
                        for (View v : d.attention()) out.println("  " + v.id() + "  " + clip(v.displayName(), 50) + "  [" + String.join(", ", v.flags()) + "]");
                        out.println("Details: codex-relay sessions show ID; fixes: codex-relay sessions reindex --dry-run");
                    } else if (d.problems().isEmpty()) {
                        out.println("Files and database agree; nothing needs repair.");
                    }
                    out.flush();
                }
                if (homeMissing) return ERROR;
                return d.healthy() ? OK : PROBLEMS;
            }
        }
    }

    @Command(name = "retag", mixinStandardHelpOptions = true, description = {
            "Moves sessions to another model provider so Codex resumes them under it: rewrites model_provider in Codex's thread row and in the rollout's first line, nothing else.",
            "Backed up, journalled, undoable. Exit: 0 done, 3 nothing matched, 4 some refused (e.g. a Codex is writing them), 1 failed."})
    static final class RetagCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Option(names = "--from", paramLabel = "P", description = "Sessions recorded under provider P.") String from;
        @Option(names = "--to", paramLabel = "Q", required = true, description = "The provider to record them under.") String to;
        @Option(names = "--ids", split = ",", paramLabel = "ID", arity = "1..*", description = "Only these sessions.") List<String> ids;
        @Option(names = "--dry-run", description = "Show what would change; change nothing.") boolean dryRun;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            if (from == null && (ids == null || ids.isEmpty())) {
                parent.spec.commandLine().getErr().println("Give --from P (all sessions of provider P) and/or --ids.");
                return USAGE;
            }
            try (SessionsService svc = parent.open()) {
                var idSet = ids == null ? null : svc.resolveIds(new LinkedHashSet<>(ids));
                return previewOrApply(parent, svc, svc.previewRetag(from, to, idSet), dryRun, json);
            }
        }
    }

    @Command(name = "reindex", mixinStandardHelpOptions = true, description = {
            "Creates missing thread rows from rollout files, fixes rows whose rollout moved, and drops name-index lines of sessions that no longer exist.",
            "Exit: 0 done, 3 nothing to do, 4 refused, 1 failed."})
    static final class ReindexCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Option(names = "--dry-run") boolean dryRun;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            try (SessionsService svc = parent.open()) {
                return previewOrApply(parent, svc, svc.previewReindex(), dryRun, json);
            }
        }
    }

    @Command(name = "unarchive", mixinStandardHelpOptions = true, description = "Brings archived sessions back (like `codex unarchive`).")
    static final class UnarchiveCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Parameters(paramLabel = "ID", arity = "1..*") List<String> ids;
        @Option(names = "--dry-run") boolean dryRun;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            try (SessionsService svc = parent.open()) {
                return previewOrApply(parent, svc, svc.previewUnarchive(new LinkedHashSet<>(ids)), dryRun, json);
            }
        }
    }

    @Command(name = "move", mixinStandardHelpOptions = true, description = {
            "Moves sessions to a named Codex home (`codex-relay homes list`): rollout files, the source's database row and index lines, and a new row in the target so `codex resume` there lists them.",
            "Undo with `sessions undo`."})
    static final class MoveCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Parameters(paramLabel = "ID", arity = "1..*") List<String> ids;
        @Option(names = "--to-home", required = true, paramLabel = "NAME", description = "The named home to move them to.") String toHome;
        @Option(names = "--dry-run") boolean dryRun;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            parent.allHomes = true;   // the sessions may be in any known home
            try (SessionsService svc = parent.open()) {
                return previewOrApply(parent, svc, svc.previewMove(new LinkedHashSet<>(ids), toHome), dryRun, json);
            } catch (io.codexrelay.app.ControlException e) {
                parent.spec.commandLine().getErr().println("codex-relay: " + e.getMessage());
                return NOT_FOUND;
            }
        }
    }

    @Command(name = "copy", mixinStandardHelpOptions = true, description = {
            "Copies sessions to a named Codex home (`codex-relay homes list`): the rollout files and a new row in the target, so `codex resume` lists them in both homes; the originals stay.",
            "Undo with `sessions undo` (removes the copies while they are unchanged)."})
    static final class CopyCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Parameters(paramLabel = "ID", arity = "1..*") List<String> ids;
        @Option(names = "--to-home", required = true, paramLabel = "NAME", description = "The named home to copy them to.") String toHome;
        @Option(names = "--dry-run") boolean dryRun;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            parent.allHomes = true;   // the sessions may be in any known home
            try (SessionsService svc = parent.open()) {
                return previewOrApply(parent, svc, svc.previewCopy(new LinkedHashSet<>(ids), toHome), dryRun, json);
            } catch (io.codexrelay.app.ControlException e) {
                parent.spec.commandLine().getErr().println("codex-relay: " + e.getMessage());
                return NOT_FOUND;
            }
        }
    }

    @Command(name = "trash", mixinStandardHelpOptions = true, description = {
            "Moves sessions (rollout, database rows, index lines) to codex-relay's trash; `restore` brings them back exactly. --list shows the trash; --empty deletes it for good (asks first unless --yes)."})
    static final class TrashCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Parameters(paramLabel = "ID", arity = "0..*") List<String> ids;
        @Option(names = "--list", description = "Show what is in the trash.") boolean list;
        @Option(names = "--empty", description = "Delete everything in the trash for good.") boolean empty;
        @Option(names = "--yes", description = "Do not ask before emptying.") boolean yes;
        @Option(names = "--dry-run") boolean dryRun;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            PrintWriter out = parent.spec.commandLine().getOut(), err = parent.spec.commandLine().getErr();
            try (SessionsService svc = parent.open()) {
                if (list) {
                    var items = svc.trash();
                    if (json) {
                        ObjectNode n = JSON.createObjectNode().put("format", JSON_FORMAT);
                        ArrayNode arr = n.putArray("trash");
                        for (var t : items) arr.addObject().put("sessionId", t.sessionId()).put("codexHome", t.codexHome())
                                .put("trashedAt", t.trashedAt()).put("description", t.description());
                        print(out, n);
                    } else {
                        if (items.isEmpty()) out.println("The trash is empty.");
                        for (var t : items) out.println(t.trashedAt() + "  " + t.sessionId() + "  " + t.description());
                        out.flush();
                    }
                    return OK;
                }
                if (empty) {
                    var items = svc.trash();
                    if (items.isEmpty()) {
                        out.println("The trash is empty.");
                        out.flush();
                        return OK;
                    }
                    if (!yes) {
                        var console = System.console();
                        if (console == null) {
                            err.println("Emptying the trash deletes " + items.size() + " session(s) for good; add --yes to confirm.");
                            err.flush();
                            return USAGE;
                        }
                        String answer = console.readLine("Delete %d session(s) in the trash for good? [y/N] ", items.size());
                        if (answer == null || !answer.trim().toLowerCase().startsWith("y")) {
                            out.println("Nothing deleted.");
                            out.flush();
                            return OK;
                        }
                    }
                    return report(out, err, svc.emptyTrash());
                }
                if (ids == null || ids.isEmpty()) {
                    err.println("Give the ids of the sessions to move to the trash (or --list / --empty).");
                    err.flush();
                    return USAGE;
                }
                return previewOrApply(parent, svc, svc.previewTrash(new LinkedHashSet<>(ids)), dryRun, json);
            }
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true, description = "Brings sessions back from the trash exactly as they were.")
    static final class RestoreCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Parameters(paramLabel = "ID", arity = "1..*") List<String> ids;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            PrintWriter out = parent.spec.commandLine().getOut(), err = parent.spec.commandLine().getErr();
            try (SessionsService svc = parent.open()) {
                Outcome o = svc.restore(new LinkedHashSet<>(ids));
                if (json) {
                    print(out, json(null, o, false));
                    return exitOf(o);
                }
                return report(out, err, o);
            }
        }
    }

    @Command(name = "undo", mixinStandardHelpOptions = true, description = {
            "Reverts the last session repair from its journal.",
            "Refuses, changing nothing, when Codex changed the same files or rows since. Exit: 0 undone, 3 nothing to undo, 4 refused, 1 failed."})
    static final class UndoCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;
        @Option(names = "--dry-run", description = "Only say what would be undone.") boolean dryRun;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() {
            PrintWriter out = parent.spec.commandLine().getOut(), err = parent.spec.commandLine().getErr();
            try (SessionsService svc = parent.open()) {
                var last = svc.lastRepair();
                if (dryRun || last.isEmpty()) {
                    if (json) {
                        ObjectNode n = JSON.createObjectNode().put("format", JSON_FORMAT).put("dryRun", true);
                        if (last.isPresent()) n.putObject("last").put("journalId", last.get().journalId())
                                .put("operation", last.get().operation()).put("summary", last.get().summary())
                                .put("createdAt", last.get().createdAt());
                        else n.putNull("last");
                        print(out, n);
                    } else if (last.isPresent()) {
                        out.println("Would undo " + last.get().journalId() + ": " + last.get().summary());
                    } else {
                        err.println("There is no session repair to undo.");
                    }
                    out.flush();
                    err.flush();
                    return last.isPresent() ? OK : NOT_FOUND;
                }
                Outcome o = svc.undo();
                if (json) {
                    print(out, json(null, o, false));
                    return exitOf(o);
                }
                return report(out, err, o);
            }
        }
    }

    @Command(name = "window", mixinStandardHelpOptions = true, description = "Opens the Sessions window (needs a display).")
    static final class WindowCmd implements Callable<Integer> {
        @ParentCommand SessionsCommand parent;

        @Override
        public Integer call() {
            PrintWriter err = parent.spec.commandLine().getErr();
            if (java.awt.GraphicsEnvironment.isHeadless()) {
                err.println("No display: the Sessions window needs a desktop (DISPLAY is not set). Use `codex-relay sessions list`.");
                err.flush();
                return ERROR;
            }
            SessionsService svc = parent.open();
            try {
                // The CLI sees only app/: the window comes from the front end app finds (the tray's, in ui).
                if (FrontEnd.openSessionsAndWait(svc)) return OK;
                err.println("Could not open the Sessions window: this build has no desktop front end.");
                err.flush();
                return ERROR;
            } catch (Exception e) {
                err.println("Could not open the Sessions window: " + e);
                err.flush();
                return ERROR;
            } finally {
                svc.close();
            }
        }
    }
}
