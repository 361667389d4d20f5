package io.codexrelay.ui;

import io.codexrelay.app.SessionsService;
import io.codexrelay.app.SessionsService.Details;
import io.codexrelay.app.SessionsService.Outcome;
import io.codexrelay.app.SessionsService.Preview;
import io.codexrelay.app.SessionsService.View;

import java.time.Clock;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** Text of the Sessions window's details pane (HTML that Swing's plain renderer shows) and of its dialogs. */
final class SessionsHtml {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("d MMM yyyy HH:mm");

    /** Commands in a monospaced face at the text's size (Swing's <code> shrinks the font). */
    private static final String CMD = "<span style='font-family:monospaced; color:#2a5d9f'>";

    private SessionsHtml() {}

    static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String details(Details d, Clock clock) {
        View v = d.session();
        StringBuilder h = new StringBuilder("<html><body style='margin:8px'>");
        h.append("<div style='font-size:1.25em'><b>").append(esc(SessionsPanel.clip(v.displayName(), 120))).append("</b></div>");
        h.append("<div style='color:#777777'>").append(esc(v.id())).append("</div><br>");
        h.append("<table cellspacing='0' cellpadding='2'>");
        row(h, "Project", v.cwd() + (v.gitBranch() == null ? "" : "  (git " + v.gitBranch() + ")"));
        if (v.gitOrigin() != null) row(h, "Repository", v.gitOrigin());
        if (v.updatedAt() != null) {
            row(h, "Updated", WHEN.format(v.updatedAt().atZone(ZoneId.systemDefault())) + "  ("
                    + SessionsPanel.ago(v.updatedAt(), clock.instant()) + ")");
        }
        if (v.createdAt() != null) row(h, "Created", WHEN.format(v.createdAt().atZone(ZoneId.systemDefault())));
        if (v.provider() != null) row(h, "Provider", v.provider());
        if (v.model() != null) row(h, "Model", v.model());
        if (v.source() != null) row(h, "Started from", v.interactive() ? "interactive Codex (" + v.source() + ")" : "codex " + v.source());
        if (v.updatedAt() != null) row(h, "Turns", Integer.toString(v.turns()));
        if (v.tokensUsed() > 0) row(h, "Tokens", String.format("%,d", v.tokensUsed()));
        if (v.archived()) row(h, "Archived", "yes");
        for (var a : v.relayAccounts()) {
            row(h, "Relay account", a.account() + ": " + Fmt.count(a.requests(), "request") + ", "
                    + Fmt.count(a.inputTokens() + a.outputTokens(), "token"));
        }
        if (v.rolloutPath() != null) row(h, "File", Fmt.wrappablePath(v.rolloutPath()));
        h.append("</table>");

        h.append("<h3>Why might it be missing from ").append(CMD).append("codex resume</span>?</h3><ul>");
        for (var f : d.diagnosis()) {
            h.append("<li>").append(esc(f.text()));
            if (f.fix() != null) h.append("<br>").append(CMD).append(esc(f.fix())).append("</span>");
            h.append("</li>");
        }
        h.append("</ul>");
        if (v.resumeCommand() != null) h.append("<p><b>Resume:</b> ").append(CMD).append(esc(v.resumeCommand())).append("</span></p>");

        if (!d.firstMessages().isEmpty()) {
            h.append("<h3>Conversation</h3>");
            messages(h, d.firstMessages());
            if (!d.lastMessages().isEmpty()) {
                h.append("<div style='color:#777777'>…</div>");
                messages(h, d.lastMessages());
            }
        }
        return h.append("</body></html>").toString();
    }

    private static void messages(StringBuilder h, List<SessionsService.Message> ms) {
        for (var m : ms) {
            h.append("<div style='margin-bottom:6px'><b>").append("user".equals(m.role()) ? "You" : "Codex").append(":</b> ")
                    .append(esc(SessionsPanel.clip(m.text(), 500))).append("</div>");
        }
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><td valign='top' style='color:#777777'>").append(esc(k)).append("</td><td>").append(esc(v)).append("</td></tr>");
    }

    static String empty(List<String> problems, boolean noSessions) {
        StringBuilder h = new StringBuilder("<html><body style='margin:8px'>");
        h.append(noSessions ? "<p>No Codex sessions found.</p>" : "<p>Select a session to see where it lives, what was said, and why "
                + CMD + "codex resume</span> may not show it.</p>");
        if (!problems.isEmpty()) {
            h.append("<h3>Problems</h3><ul>");
            for (String p : problems) h.append("<li>").append(esc(p)).append("</li>");
            h.append("</ul>");
        }
        return h.append("</body></html>").toString();
    }

    /** The dry run as plain text for a confirmation dialog. */
    static String previewText(Preview p) {
        StringBuilder sb = new StringBuilder(p.summary()).append(":\n");
        for (var c : p.changes()) {
            sb.append("\n• ").append(c.description()).append('\n');
            for (String d : c.details()) sb.append("    ").append(d).append('\n');
        }
        if (!p.refused().isEmpty()) {
            sb.append("\nLeft alone:\n");
            for (var r : p.refused()) sb.append("  ").append(r.sessionId() == null ? "" : r.sessionId() + ": ").append(r.reason()).append('\n');
        }
        for (String n : p.notes()) sb.append("\nNote: ").append(n).append('\n');
        if (!p.changes().isEmpty()) sb.append("\nEvery file is backed up first; \"Undo last repair\" reverts it.");
        return sb.toString();
    }

    static String outcomeText(Outcome o) {
        StringBuilder sb = new StringBuilder();
        if (o.done().isEmpty() && o.refused().isEmpty() && o.failures().isEmpty()) sb.append("Nothing was changed.\n");
        for (var c : o.done()) sb.append("✓ ").append(c.description()).append('\n');
        for (var r : o.refused()) sb.append("✗ ").append(r.sessionId() == null ? "" : r.sessionId() + ": ").append(r.reason()).append('\n');
        for (String f : o.failures()) sb.append("✗ ").append(f).append('\n');
        for (String n : o.notes()) sb.append(n).append('\n');
        return sb.toString().strip();
    }
}
