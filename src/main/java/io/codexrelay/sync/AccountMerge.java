package io.codexrelay.sync;

import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides what an imported or pulled accounts file changes here: accounts matched by identity ({@link AccountBundle#identity}),
 * tokens taken only when newer ({@code last_refresh}), settings taken when changed later. Pure: the caller shows the plan
 * (the dry run) and applies it. For sync, {@code base} is what both sides agreed on at the last sync, which tells an
 * account removed on one side from one added on the other; an import has no base and never removes.
 */
public final class AccountMerge {

    public enum Action { ADD, UPDATE, REMOVE, KEEP_LOCAL, SAME }

    /** One line of the plan; {@code detail} says why, never a secret. */
    public record Change(String name, String identity, Action action, String detail) {}

    /** What the last sync agreed on for one account: its tokens' refresh time and the machine that refreshed them. */
    public record BaseEntry(Instant tokensRefreshedAt, String refreshedBy) {}

    /**
     * The plan. {@code inserts} have id 0; {@code updates} keep the local id and name; {@code refreshedBy}: per identity,
     * the machine to record as the last to refresh its tokens after the plan is applied.
     */
    public record Plan(List<Change> changes, List<Account> inserts, List<Account> updates, List<String> removals,
                       List<String> warnings, Map<String, String> refreshedBy) {
        public boolean changesLocal() { return !inserts.isEmpty() || !updates.isEmpty() || !removals.isEmpty(); }
    }

    private AccountMerge() {}

    /**
     * @param local       the accounts here
     * @param remote      the file's accounts
     * @param base        the last sync's agreement, keyed by identity; null for an import (no removals then)
     * @param thisMachine this machine's name, for refresh bookkeeping
     */
    public static Plan plan(List<Account> local, AccountBundle remote, Map<String, BaseEntry> base, String thisMachine, Instant now) {
        Map<String, Account> byIdentity = new LinkedHashMap<>();
        for (Account a : local) byIdentity.put(AccountBundle.identity(a), a);
        Set<String> names = new HashSet<>();
        for (Account a : local) names.add(a.name());
        List<Change> changes = new ArrayList<>();
        List<Account> inserts = new ArrayList<>(), updates = new ArrayList<>();
        List<String> removals = new ArrayList<>(), warnings = new ArrayList<>();
        Map<String, String> refreshedBy = new HashMap<>();
        Set<String> seen = new HashSet<>();

        for (AccountBundle.Entry e : remote.accounts()) {
            seen.add(e.identity());
            Account mine = byIdentity.get(e.identity());
            BaseEntry b = base == null ? null : base.get(e.identity());
            if (mine == null) {
                if (base != null && b != null) {
                    changes.add(new Change(e.name(), e.identity(), Action.KEEP_LOCAL, "removed here since the last sync; "
                            + "it is removed from the shared file too"));
                    continue;
                }
                String name = freeName(e.name(), names);
                names.add(name);
                inserts.add(new Account(0, name, e.kind(), e.enabled(), e.priority(), e.maxConcurrent(), e.credentials(),
                        e.email(), e.plan(), null, now, now));
                refreshedBy.put(e.identity(), e.refreshedBy());
                changes.add(new Change(name, e.identity(), Action.ADD, "new " + e.kind().label() + " account"
                        + (name.equals(e.name()) ? "" : " (renamed from '" + e.name() + "': that name is taken here)")));
                continue;
            }
            Credentials creds = mine.credentials();
            String detail = null;
            Instant mineAt = mine.credentials() instanceof Credentials.ChatGptTokens t ? t.lastRefresh() : null;
            Instant theirsAt = e.tokensRefreshedAt();
            boolean tokensDiffer = !sameSecret(mine.credentials(), e.credentials());
            String refresher = b == null ? null : b.refreshedBy();
            if (mine.kind() == Account.Kind.CHATGPT && tokensDiffer) {
                boolean theirsNewer = theirsAt != null && (mineAt == null || theirsAt.isAfter(mineAt));
                boolean refreshedHere = b != null && !Objects.equals(b.tokensRefreshedAt(), mineAt);
                boolean refreshedThere = b != null && !Objects.equals(b.tokensRefreshedAt(), theirsAt);
                if (refreshedHere && refreshedThere) {
                    warnings.add("'" + mine.name() + "': its ChatGPT tokens were refreshed on this machine and on "
                            + (e.refreshedBy() == null ? "another machine" : "'" + e.refreshedBy() + "'") + " since the last sync. "
                            + "A refresh token works once, so one of the two logins may now be rejected; the newer tokens are kept. "
                            + "If requests fail with re-login needed, run `codex-relay accounts login` once and sync.");
                }
                if (theirsNewer) {
                    creds = e.credentials();
                    refresher = e.refreshedBy();
                    detail = "newer tokens (refreshed " + theirsAt + (e.refreshedBy() == null ? "" : " on " + e.refreshedBy()) + ")";
                } else {
                    refresher = refreshedHere || b == null ? thisMachine : refresher;
                    changes.add(new Change(mine.name(), e.identity(), Action.KEEP_LOCAL, "the tokens here are newer"
                            + (mineAt == null ? "" : " (refreshed " + mineAt + ")") + "; the file's older tokens are not used"));
                }
            } else if (mine.kind() == Account.Kind.CHATGPT && b != null && !Objects.equals(b.tokensRefreshedAt(), mineAt)) {
                refresher = thisMachine;
            }
            if (mine.kind() == Account.Kind.CHATGPT && refresher == null) refresher = e.refreshedBy() != null ? e.refreshedBy() : thisMachine;
            refreshedBy.put(e.identity(), refresher);
            boolean settingsDiffer = mine.enabled() != e.enabled() || mine.priority() != e.priority()
                    || !Objects.equals(mine.maxConcurrent(), e.maxConcurrent())
                    || !Objects.equals(mine.plan(), e.plan()) && e.plan() != null;
            boolean takeSettings = settingsDiffer && e.settingsChangedAt() != null && e.settingsChangedAt().isAfter(mine.updatedAt());
            if (creds == mine.credentials() && !takeSettings) {
                if (detail == null && changes.stream().noneMatch(c -> c.identity().equals(e.identity())))
                    changes.add(new Change(mine.name(), e.identity(), Action.SAME, settingsDiffer ? "settings here are newer" : "unchanged"));
                continue;
            }
            Account updated = new Account(mine.id(), mine.name(), mine.kind(),
                    takeSettings ? e.enabled() : mine.enabled(), takeSettings ? e.priority() : mine.priority(),
                    takeSettings ? e.maxConcurrent() : mine.maxConcurrent(), creds,
                    e.email() != null ? e.email() : mine.email(), takeSettings && e.plan() != null ? e.plan() : mine.plan(),
                    mine.sourceCodexHome(), mine.createdAt(), mine.updatedAt());
            updates.add(updated);
            String what = detail != null && takeSettings ? detail + "; settings changed later there"
                    : detail != null ? detail : "settings changed later there (enabled " + e.enabled() + ", priority " + e.priority() + ")";
            changes.removeIf(c -> c.identity().equals(e.identity()));
            changes.add(new Change(mine.name(), e.identity(), Action.UPDATE, what));
        }
        for (var en : byIdentity.entrySet()) {
            if (seen.contains(en.getKey())) continue;
            Account mine = en.getValue();
            if (base != null && base.containsKey(en.getKey())) {
                removals.add(mine.name());
                changes.add(new Change(mine.name(), en.getKey(), Action.REMOVE, "removed on "
                        + (remote.writtenBy() == null ? "another machine" : "'" + remote.writtenBy() + "'") + " since the last sync"));
            } else {
                if (mine.kind() == Account.Kind.CHATGPT) refreshedBy.put(en.getKey(), thisMachine);
                changes.add(new Change(mine.name(), en.getKey(), Action.KEEP_LOCAL, base == null ? "only here; kept"
                        : "only here; added to the shared file"));
            }
        }
        return new Plan(List.copyOf(changes), List.copyOf(inserts), List.copyOf(updates), List.copyOf(removals),
                List.copyOf(warnings), Map.copyOf(nonNull(refreshedBy)));
    }

    private static Map<String, String> nonNull(Map<String, String> m) {
        Map<String, String> out = new HashMap<>();
        m.forEach((k, v) -> { if (v != null) out.put(k, v); });
        return out;
    }

    private static boolean sameSecret(Credentials a, Credentials b) {
        if (a instanceof Credentials.ChatGptTokens x && b instanceof Credentials.ChatGptTokens y)
            return Objects.equals(x.accessToken(), y.accessToken()) && Objects.equals(x.refreshToken(), y.refreshToken());
        if (a instanceof Credentials.ApiKey x && b instanceof Credentials.ApiKey y)
            return Objects.equals(x.key(), y.key()) && Objects.equals(x.baseUrl(), y.baseUrl());
        return false;
    }

    private static String freeName(String wanted, Set<String> taken) {
        if (!taken.contains(wanted)) return wanted;
        for (int i = 2; ; i++) if (!taken.contains(wanted + "-" + i)) return wanted + "-" + i;
    }
}
