package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlException;
import io.codexrelay.app.PoolStatus;

/**
 * What choosing a tray (or control-window) entry means, decided from the entry, the state the user clicked it into,
 * and the pool as the menu showed it. A click that agrees with the pool already (a check toggled back by a refresh)
 * is {@link Kind#SHOW_TRUTH}: nothing to do but redraw.
 */
public record MenuCommand(Kind kind, String account, boolean on) {

    public enum Kind { PIN, AUTO, PAUSE, CODEX, REFRESH_QUOTA, DIRECT, UNDO_DIRECT, SETTINGS, SESSIONS, LOG, QUIT, SHOW_TRUTH }

    static MenuCommand of(Kind k) { return new MenuCommand(k, null, false); }

    /** True for the commands that are an action of the relay (run off the EDT), false for windows and Quit. */
    public boolean isControl() {
        return switch (kind) {
            case PIN, AUTO, PAUSE, CODEX, REFRESH_QUOTA, DIRECT, UNDO_DIRECT -> true;
            default -> false;
        };
    }

    /** Runs a control command on the relay. */
    public void runOn(ControlApi control) throws ControlException {
        switch (kind) {
            case PIN -> control.pin(account);
            case AUTO -> control.auto();
            case PAUSE -> control.setPaused(on);
            case CODEX -> control.setCodexRouted(on);
            case REFRESH_QUOTA -> control.refreshQuota();
            case DIRECT -> control.switchDirect(account, null);   // null: this user's Codex home
            case UNDO_DIRECT -> control.undoDirect(null);
            default -> throw new IllegalStateException(kind + " is not a relay action");
        }
    }

    /** How a failure is worded: "Could not " + this. */
    public String describe() {
        return switch (kind) {
            case PIN -> "pin " + account;
            case AUTO -> "switch to auto";
            case PAUSE -> on ? "pause" : "resume";
            case CODEX -> on ? "route Codex through the relay" : "restore Codex's own provider";
            case REFRESH_QUOTA -> "refresh quota";
            case DIRECT -> "hand " + account + " to Codex directly";
            case UNDO_DIRECT -> "undo direct mode";
            default -> kind.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    public static MenuCommand of(String id, boolean checked, PoolStatus pool) {
        String account = TrayMenuModel.accountOf(id);
        if (account != null) {
            boolean pinned = pool != null && account.equals(pool.pinned());
            if (checked && !pinned) return new MenuCommand(Kind.PIN, account, true);
            if (!checked && pinned) return of(Kind.AUTO);
            return of(Kind.SHOW_TRUTH);
        }
        String direct = TrayMenuModel.directOf(id);
        if (direct != null) return new MenuCommand(Kind.DIRECT, direct, true);
        switch (id) {
            case TrayMenuModel.DIRECT_UNDO -> { return of(Kind.UNDO_DIRECT); }
            case TrayMenuModel.AUTO -> {
                boolean auto = pool == null || pool.autoSwitch();
                if (checked && !auto) return of(Kind.AUTO);
                if (!checked && auto && pool != null) {
                    // Auto off = stay where we are: pin the serving account (or the first one that could serve).
                    String target = pool.serving() != null ? pool.serving()
                            : pool.accounts().stream().filter(AccountStatus::enabled).map(AccountStatus::name).findFirst().orElse(null);
                    return target == null ? of(Kind.SHOW_TRUTH) : new MenuCommand(Kind.PIN, target, true);
                }
                return of(Kind.SHOW_TRUTH);
            }
            case TrayMenuModel.PAUSE -> {
                return pool != null && pool.paused() != checked ? new MenuCommand(Kind.PAUSE, null, checked) : of(Kind.SHOW_TRUTH);
            }
            case TrayMenuModel.CODEX -> { return new MenuCommand(Kind.CODEX, null, checked); }
            case TrayMenuModel.REFRESH -> { return of(Kind.REFRESH_QUOTA); }
            case TrayMenuModel.SETTINGS -> { return of(Kind.SETTINGS); }
            case TrayMenuModel.SESSIONS -> { return of(Kind.SESSIONS); }
            case TrayMenuModel.LOG -> { return of(Kind.LOG); }
            case TrayMenuModel.QUIT -> { return of(Kind.QUIT); }
            default -> { return of(Kind.SHOW_TRUTH); }
        }
    }
}
