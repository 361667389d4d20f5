package io.codexrelay.codex.sessions;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;

/** What applying one planned change does, step by step, through a {@link RepairWork} that journals each step. */
@FunctionalInterface
interface RepairAction {
    void run(RepairWork work) throws IOException, SQLException;

    /**
     * One change of a plan: what the dry run shows, the rollout it concerns (the engine checks that no Codex is writing
     * it before running the action; null for a change to the whole home) and the action itself.
     */
    record Planned(SessionRepairs.Change change, Path rollout, RepairAction action) {}
}
