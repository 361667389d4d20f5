package io.codexrelay.app;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link ControlApi} of a running daemon, spoken over its admin API (see {@link AdminHandler} for the routes). */
public final class RemoteControl implements ControlHandle {
    private final ObjectMapper json = AppJson.mapper();
    private final HttpClient http;
    private final String base;
    private final String token;
    private final AdminFile.Info info;
    private final Duration timeout;
    private final ChatGptLogins logins;

    public RemoteControl(AdminFile.Info info, Duration timeout) {
        this(info, timeout, Clock.systemUTC());
    }

    /** {@code clock}: the time of ChatGPT logins started through this control. */
    public RemoteControl(AdminFile.Info info, Duration timeout, Clock clock) {
        this.info = info;
        this.token = info.token();
        this.timeout = timeout;
        this.logins = ChatGptLogins.create(clock, Duration.ofSeconds(10));
        String host = info.host() == null ? "127.0.0.1" : info.host();
        if (host.contains(":") && !host.startsWith("[")) host = "[" + host + "]";
        this.base = "http://" + host + ":" + info.port() + AdminHandler.PREFIX;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1)
                .proxy(HttpClient.Builder.NO_PROXY).build();
    }

    /** The daemon's pid as it answers {@code /ping}; throws when it does not answer or refuses the token. */
    public long ping() throws ControlException {
        JsonNode n = call("GET", "/ping", null, Duration.ofSeconds(2));
        return n.path("pid").asLong(-1);
    }

    @Override public boolean daemonRunning() { return true; }

    @Override public String describe() {
        return "daemon pid " + info.pid() + " on " + (info.host() == null ? "127.0.0.1" : info.host()) + ":" + info.port();
    }

    @Override
    public PoolStatus status() throws ControlException {
        return convert(call("GET", "/status", null, timeout), PoolStatus.class);
    }

    @Override
    public AccountStatus addApiKey(NewApiKey request) throws ControlException {
        return convert(call("POST", "/accounts/api-key", request, timeout), AccountStatus.class);
    }

    @Override
    public AccountStatus importCodex(Path codexHome, String name) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("codexHome", codexHome.toAbsolutePath().normalize().toString());
        body.put("name", name);
        return convert(call("POST", "/accounts/import-codex", body, timeout), AccountStatus.class);
    }

    @Override
    public List<ToolKeyView> keys() throws ControlException {
        return json.convertValue(call("GET", "/keys", null, timeout), new TypeReference<List<ToolKeyView>>() { });
    }

    @Override
    public CreatedToolKey createKey(NewToolKey request) throws ControlException {
        return convert(call("POST", "/keys/create", request, timeout), CreatedToolKey.class);
    }

    @Override
    public void revokeKey(String name) throws ControlException {
        call("POST", "/keys/revoke", nameBody(name), timeout);
    }

    @Override
    public StartedRun startRun(NewRun request) throws ControlException {
        return convert(call("POST", "/runs/start", request, timeout), StartedRun.class);
    }

    @Override
    public void endRun(String name) throws ControlException {
        call("POST", "/runs/end", nameBody(name), timeout);
    }

    @Override
    public List<ClientUsage> clientUsage() throws ControlException {
        return json.convertValue(call("GET", "/clients/usage", null, timeout), new TypeReference<List<ClientUsage>>() { });
    }

    @Override
    public LearnedParams learnedParameters(String name, boolean reset) throws ControlException {
        return convert(call("POST", "/accounts/params", Map.of("name", name == null ? "" : name, "reset", reset), timeout),
                LearnedParams.class);
    }

    @Override
    public void removeAccount(String name) throws ControlException {
        call("POST", "/accounts/remove", nameBody(name), timeout);
    }

    @Override
    public AccountStatus updateAccount(String name, AccountChanges changes) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("priority", changes == null ? null : changes.priority());
        body.put("maxConcurrent", changes == null ? null : changes.maxConcurrent());
        body.put("enabled", changes == null ? null : changes.enabled());
        body.put("wire", changes == null ? null : changes.wire());
        body.put("modelRules", changes == null ? null : changes.modelRules());
        body.put("clients", changes == null ? null : changes.clients());
        body.put("balance", changes == null ? null : changes.balance());
        return convert(call("POST", "/accounts/update", body, timeout), AccountStatus.class);
    }

    @Override
    public void pin(String name) throws ControlException {
        call("POST", "/pin", nameBody(name), timeout);
    }

    @Override
    public void auto() throws ControlException {
        call("POST", "/auto", Map.of(), timeout);
    }

    @Override
    public void setPaused(boolean paused) throws ControlException {
        call("POST", "/pause", Map.of("paused", paused), timeout);
    }

    @Override
    public void refreshQuota() throws ControlException {
        call("POST", "/refresh-quota", Map.of(), timeout);
    }

    @Override
    public AccountStatus addChatGptLogin(String name, LoginTokens tokens) throws ControlException {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id_token", tokens.idToken());
        t.put("access_token", tokens.accessToken());
        t.put("refresh_token", tokens.refreshToken());
        t.put("account_id", tokens.accountId());
        t.put("last_refresh", tokens.lastRefresh() == null ? null : tokens.lastRefresh().toString());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("tokens", t);
        return convert(call("POST", "/accounts/chatgpt-login", body, timeout), AccountStatus.class);
    }

    @Override
    public CodexExport exportCodex(String name, Path codexHome) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("codexHome", codexHome.toAbsolutePath().normalize().toString());
        return convert(call("POST", "/accounts/export-codex", body, timeout), CodexExport.class);
    }

    @Override
    public DirectSwitch switchDirect(String name, Path codexHome) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("codexHome", codexHome.toAbsolutePath().normalize().toString());
        return convert(call("POST", "/codex/switch", body, timeout), DirectSwitch.class);
    }

    @Override
    public DirectUndo undoDirect(Path codexHome) throws ControlException {
        Map<String, Object> body = Map.of("codexHome", codexHome.toAbsolutePath().normalize().toString());
        return convert(call("POST", "/codex/switch-undo", body, timeout), DirectUndo.class);
    }

    @Override
    public String directAccount(Path codexHome) throws ControlException {
        Map<String, Object> body = Map.of("codexHome", codexHome.toAbsolutePath().normalize().toString());
        JsonNode n = call("POST", "/codex/direct", body, timeout).get("account");
        return n == null || n.isNull() ? null : n.asText();
    }

    @Override
    public StopChoice stopChoice() throws ControlException {
        return StopChoice.valueOf(call("GET", "/codex/stop-choice", null, timeout).path("choice").asText("ASK"));
    }

    @Override
    public void setStopChoice(StopChoice choice, boolean remember) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("choice", choice.name());
        body.put("remember", remember);
        call("POST", "/codex/stop-choice", body, timeout);
    }

    @Override
    public List<RequestView> recentRequests(int limit) throws ControlException {
        JsonNode n = call("GET", "/requests?limit=" + limit, null, timeout);
        return json.convertValue(n, new TypeReference<List<RequestView>>() { });
    }

    @Override
    public List<RequestView> queryRequests(LogQuery.Filter filter, long offset, int limit) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("filter", filter);
        body.put("offset", offset);
        body.put("limit", limit);
        return json.convertValue(call("POST", "/requests/page", body, timeout), new TypeReference<List<RequestView>>() { });
    }

    @Override
    public long countRequests(LogQuery.Filter filter) throws ControlException {
        return call("POST", "/requests/count", Map.of("filter", filter == null ? LogQuery.Filter.ALL : filter), timeout).path("count").asLong();
    }

    @Override
    public List<LogQuery.UsageBucket> requestUsage(Instant from, Duration bucket) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("from", from.toString());
        body.put("bucketMs", bucket.toMillis());
        return json.convertValue(call("POST", "/requests/usage", body, timeout), new TypeReference<List<LogQuery.UsageBucket>>() { });
    }

    @Override
    public List<LogQuery.ClientBucket> requestUsageByClient(Instant from, Duration bucket) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("from", from.toString());
        body.put("bucketMs", bucket.toMillis());
        return json.convertValue(call("POST", "/requests/usage-by-client", body, timeout), new TypeReference<List<LogQuery.ClientBucket>>() { });
    }

    @Override
    public ChatGptLogin startChatGptLogin(String name) throws ControlException {
        return logins.start(this, name);
    }

    @Override
    public Map<String, Object> config() throws ControlException {
        Map<String, Object> raw = json.convertValue(call("GET", "/config", null, timeout), new TypeReference<LinkedHashMap<String, Object>>() { });
        return ConfigValues.coerceAll(raw);
    }

    @Override
    public ApiPrices apiPrices() throws ControlException {
        return json.convertValue(call("GET", "/prices", null, timeout), ApiPrices.class);
    }

    @Override
    public List<String> applyConfig(Map<String, Object> changes) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("changes", changes);
        JsonNode n = call("POST", "/config", body, timeout);
        return json.convertValue(n.path("restartNeeded"), new TypeReference<List<String>>() { });
    }

    @Override
    public String configProblem() throws ControlException {
        JsonNode p = call("GET", "/config/problem", null, timeout).path("problem");
        return p.isNull() || p.isMissingNode() ? null : p.asText();
    }

    @Override
    public List<RedactionEntry> redactionRules() throws ControlException {
        return json.convertValue(call("GET", "/redaction", null, timeout), new TypeReference<List<RedactionEntry>>() { });
    }

    @Override
    public void saveRedactionRules(List<RedactionEntry> rules) throws ControlException {
        call("POST", "/redaction", Map.of("rules", rules), timeout);
    }

    @Override
    public void showSettings() throws ControlException {
        call("POST", "/ui/show-settings", Map.of(), timeout);
    }

    private static Map<String, Object> nameBody(String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        return m;
    }

    private <T> T convert(JsonNode n, Class<T> type) throws ControlException {
        try {
            return json.treeToValue(n, type);
        } catch (Exception e) {
            throw new ControlException("The daemon answered in a form this CLI does not understand (" + e.getMessage()
                    + "). Are the CLI and the daemon the same version?");
        }
    }

    private JsonNode call(String method, String route, Object body, Duration timeout) throws ControlException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + route))
                .timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        try {
            if (body != null) {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode n;
            try {
                n = r.body().length == 0 ? json.createObjectNode() : json.readTree(r.body());
            } catch (IOException e) {
                throw new ControlException("The daemon on port " + info.port() + " answered HTTP " + r.statusCode()
                        + " with something that is not JSON. Is another program using that port?");
            }
            if (r.statusCode() / 100 != 2) {
                String msg = n.path("error").path("message").asText("");
                throw new ControlException(msg.isEmpty() ? "The daemon answered HTTP " + r.statusCode() + "." : msg);
            }
            return n;
        } catch (HttpTimeoutException e) {
            throw new ControlException("The daemon (pid " + info.pid() + ") did not answer within " + timeout.toSeconds()
                    + " s. It may be busy or stuck; try again, or restart it.");
        } catch (ConnectException e) {
            throw new ControlException("Could not reach the daemon (pid " + info.pid() + ") on port " + info.port()
                    + ". It may have stopped; run the command again.");
        } catch (IOException e) {
            throw new ControlException("Talking to the daemon failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException("Interrupted.");
        }
    }

    @Override
    public void close() {
        // java.net.http.HttpClient has no close() before Java 21; its threads end when it is unreachable.
    }

    // ---- several machines and several Codex homes ------------------------------------------------------------

    @Override
    public byte[] exportAccounts(char[] passphrase) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("passphrase", passphrase == null ? null : new String(passphrase));
        return java.util.Base64.getDecoder().decode(call("POST", "/accounts/export", body, timeout).path("file").asText());
    }

    @Override
    public AccountsImport importAccounts(byte[] file, char[] passphrase, boolean apply) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("file", java.util.Base64.getEncoder().encodeToString(file));
        body.put("passphrase", passphrase == null ? null : new String(passphrase));
        body.put("apply", apply);
        return convert(call("POST", "/accounts/import", body, timeout), AccountsImport.class);
    }

    @Override
    public SyncStatus syncStatus() throws ControlException {
        return convert(call("GET", "/sync", null, timeout), SyncStatus.class);
    }

    @Override
    public SyncStatus syncNow() throws ControlException {
        return convert(call("POST", "/sync/now", Map.of(), timeout), SyncStatus.class);
    }

    @Override
    public void storeSyncSecrets(String password, char[] passphrase) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("password", password);
        body.put("passphrase", passphrase == null ? null : new String(passphrase));
        call("POST", "/sync/secrets", body, timeout);
    }

    @Override
    public List<CodexHomeView> homes() throws ControlException {
        return json.convertValue(call("GET", "/homes", null, timeout), new TypeReference<List<CodexHomeView>>() { });
    }

    @Override
    public CodexHomeView createHome(String name, String account, Path dir, Path from, boolean strict) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("account", account);
        body.put("dir", dir == null ? null : dir.toAbsolutePath().normalize().toString());
        body.put("from", from == null ? null : from.toAbsolutePath().normalize().toString());
        body.put("strict", strict);
        return convert(call("POST", "/homes/create", body, timeout), CodexHomeView.class);
    }

    @Override
    public CodexHomeView bindHome(String name, String account, Boolean strict) throws ControlException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("account", account);
        body.put("strict", strict);
        return convert(call("POST", "/homes/bind", body, timeout), CodexHomeView.class);
    }

    @Override
    public CodexHomeView removeHome(String name) throws ControlException {
        return convert(call("POST", "/homes/remove", nameBody(name), timeout), CodexHomeView.class);
    }
}
