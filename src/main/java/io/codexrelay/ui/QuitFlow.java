package io.codexrelay.ui;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlException;

import java.util.Optional;

/**
 * Tray Quit (issue 9, "Stopping the relay never strands Codex"): when Codex is routed through the relay and no choice
 * is remembered, asks once what Codex should do while the relay is gone, stores the answer (for this stop only, or for
 * good with "remember my choice") and then lets the quit go ahead. The question itself is a {@link Asker} so the
 * decision is tested without a screen; {@link QuitDialog} is the Swing one.
 */
final class QuitFlow {
    private QuitFlow() {}

    /** The user's answer: what to do with Codex, and whether to ask again next time. */
    record Answer(ControlApi.StopChoice choice, boolean remember) {}

    /** Asks the user; empty = cancelled (the relay keeps running). */
    interface Asker {
        Optional<Answer> ask();
    }

    /**
     * Returns true when the relay may stop now. {@code codexRouted}: whether Codex's config points at the relay (null =
     * unknown, asked as if routed, since stranding Codex is the worse mistake).
     */
    static boolean confirm(ControlApi control, Boolean codexRouted, Asker asker) throws ControlException {
        if (Boolean.FALSE.equals(codexRouted)) return true;          // Codex does not need the relay: nothing to ask
        if (control.stopChoice() != ControlApi.StopChoice.ASK) return true;   // remembered; the stop applies it
        Optional<Answer> a = asker.ask();
        if (a.isEmpty()) return false;
        control.setStopChoice(a.get().choice(), a.get().remember());
        return true;
    }
}
