package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlException;
import io.codexrelay.app.PoolStatus;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.app.RequestView;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A test double of the relay for UI model tests: accounts, pin/auto/pause and Codex routing held in memory. */
class InMemoryControl implements ControlApi {
    final List<AccountStatus> accounts = new ArrayList<>();
    final Map<String, Object> config = new LinkedHashMap<>(RelayConfig.defaults().values());
    final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    String pinned;
    boolean paused;
    boolean routed;

    InMemoryControl(AccountStatus... as) { accounts.addAll(List.of(as)); }

    @Override public PoolStatus status() {
        List<AccountStatus> list = new ArrayList<>();
        for (AccountStatus a : accounts) {
            list.add(new AccountStatus(a.name(), a.kind(), a.email(), a.plan(), a.baseUrl(), a.enabled(), a.priority(), a.maxConcurrent(),
                    a.secretHint(), a.state(), a.stateUntil(), a.stateReason(), a.inFlight(), a.name().equals(pinned), a.quota()));
        }
        String serving = pinned != null ? pinned : list.stream().filter(AccountStatus::enabled).map(AccountStatus::name).findFirst().orElse(null);
        return new PoolStatus(pinned == null, pinned, serving, paused, 0, null, List.copyOf(list));
    }

    private AccountStatus find(String name) throws ControlException {
        return accounts.stream().filter(a -> a.name().equals(name)).findFirst()
                .orElseThrow(() -> new ControlException("No account named '" + name + "'."));
    }

    @Override public AccountStatus addApiKey(NewApiKey r) { throw new UnsupportedOperationException(); }
    @Override public AccountStatus importCodex(Path codexHome, String name) { throw new UnsupportedOperationException(); }
    @Override public void removeAccount(String name) { throw new UnsupportedOperationException(); }
    @Override public AccountStatus updateAccount(String name, AccountChanges changes) { throw new UnsupportedOperationException(); }

    @Override public void pin(String name) throws ControlException {
        calls.add("pin " + name);
        if (!find(name).enabled()) throw new ControlException("'" + name + "' is disabled.");
        pinned = name;
    }

    @Override public void auto() { calls.add("auto"); pinned = null; }
    @Override public void setPaused(boolean p) { calls.add("paused " + p); paused = p; }
    @Override public void refreshQuota() { calls.add("refresh"); }

    /** The WebDAV sync's state as {@link #syncStatus} reports it; null: this control cannot tell. */
    volatile io.codexrelay.app.SyncStatus sync;

    @Override public io.codexrelay.app.SyncStatus syncStatus() throws ControlException {
        if (sync == null) throw new ControlException("Sync is not available here.");
        return sync;
    }
    @Override public List<RequestView> recentRequests(int limit) { return List.of(); }
    @Override public Map<String, Object> config() { return Map.copyOf(config); }
    @Override public List<String> applyConfig(Map<String, Object> changes) { config.putAll(changes); return List.of(); }
    @Override public Boolean codexRouted() { return routed; }

    @Override public AccountStatus addChatGptLogin(String name, io.codexrelay.app.LoginTokens tokens) {
        calls.add("chatgpt-login " + name + " " + tokens.accountId());
        AccountStatus a = new AccountStatus(name == null ? "me" : name, "chatgpt", "me@example.com", "pro", null, true, 100, 2,
                "…" + tokens.accountId().substring(tokens.accountId().length() - 4), "ready", null, null, 0, false, null);
        accounts.add(a);
        return a;
    }
    @Override public void setCodexRouted(boolean on) { calls.add("codex " + on); routed = on; }

    String direct;                                          // the account handed to Codex (direct mode), null = off
    StopChoice rememberedStop = StopChoice.ASK;
    StopChoice thisStop;

    @Override public DirectSwitch switchDirect(String name, Path codexHome) throws ControlException {
        calls.add("direct " + name);
        find(name);
        direct = name;
        routed = false;
        return new DirectSwitch(name, "auth.json", "config.toml", null, null, null, List.of());
    }
    @Override public DirectUndo undoDirect(Path codexHome) throws ControlException {
        calls.add("undo-direct");
        if (direct == null) throw new ControlException("Direct mode is not active; there is nothing to undo.");
        String was = direct;
        direct = null;
        routed = true;
        return new DirectUndo(was, "auth.json", "config.toml", null, List.of());
    }
    @Override public String directAccount(Path codexHome) { return direct; }
    @Override public StopChoice stopChoice() { return rememberedStop; }
    @Override public void setStopChoice(StopChoice choice, boolean remember) {
        calls.add("stop-choice " + choice + (remember ? " remembered" : ""));
        if (remember) rememberedStop = choice; else thisStop = choice;
    }
    @Override public List<RequestView> queryRequests(io.codexrelay.app.LogQuery.Filter f, long offset, int limit) { return List.of(); }
    @Override public long countRequests(io.codexrelay.app.LogQuery.Filter f) { return 0; }
    @Override public List<io.codexrelay.app.LogQuery.UsageBucket> requestUsage(java.time.Instant from, java.time.Duration bucket) { return List.of(); }
    /** The real login flow of the app, saving through {@link #addChatGptLogin} as the daemon's control does. */
    @Override public ChatGptLogin startChatGptLogin(String name) throws io.codexrelay.app.ControlException {
        return new io.codexrelay.app.ChatGptLogins(java.time.Clock.systemUTC(), java.net.http.HttpClient.newHttpClient()).start(this, name);
    }
}
