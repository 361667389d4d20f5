package io.codexrelay.app;

import java.util.List;

/**
 * What {@code accounts import} changes (a dry run unless {@code applied}): one line per account of the file or of this
 * machine, and warnings. Never a secret.
 */
public record AccountsImport(List<Line> changes, List<String> warnings, boolean applied, String writtenBy, String writtenAt) {
    /** {@code action}: add, update, keep-local, same, remove. */
    public record Line(String name, String action, String detail) {}

    public boolean changesSomething() {
        return changes.stream().anyMatch(l -> l.action().equals("add") || l.action().equals("update") || l.action().equals("remove"));
    }
}
