package io.codexrelay.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon's admin API: every {@link ControlApi} method as JSON over HTTP under {@value #PREFIX}, for the CLI
 * (and anything else of the same user) while the daemon runs. Requests must come from loopback and carry
 * {@code Authorization: Bearer <token>}, the token being in {@code admin.json} (mode 0600) in the relay home.
 *
 * <p>Routes (relative to the prefix; shapes are the records of {@code io.codexrelay.app} as {@link AppJson} writes them):
 * <pre>
 * GET  /ping                 {"pid":..,"version":".."}
 * GET  /status               PoolStatus
 * POST /accounts/api-key     NewApiKey                           -> AccountStatus
 * POST /accounts/import-codex {"codexHome":"/abs","name":null}   -> AccountStatus
 * POST /accounts/remove      {"name":".."}                       -> {"ok":true}
 * POST /accounts/params      {"name":"..","reset":false}         -> LearnedParams
 * POST /accounts/update      {"name":"..","priority":..,"maxConcurrent":..,"enabled":..} -> AccountStatus
 * POST /pin                  {"name":".."}                       -> {"ok":true}
 * POST /auto                                                     -> {"ok":true}
 * POST /pause                {"paused":true}                     -> {"ok":true}
 * POST /refresh-quota                                            -> {"ok":true}
 * POST /accounts/chatgpt-login {"name":null,"tokens":{"id_token",..,"access_token",..,"refresh_token",..,"account_id",..}}
 *                                                                -> AccountStatus
 * POST /accounts/export-codex {"name":"..","codexHome":"/abs"}   -> {"file":"..","backup":".."}
 * GET  /config/problem                                      -> {"problem":null|".."}
 * GET  /redaction                                           -> [RedactionEntry]
 * POST /redaction          {"rules":[RedactionEntry]}       -> {"ok":true}
 * POST /codex/switch       {"name":null|"..","codexHome":"/abs"} -> DirectSwitch
 * POST /codex/switch-undo  {"codexHome":"/abs"}                  -> DirectUndo
 * POST /codex/direct       {"codexHome":"/abs"}                  -> {"account":null|".."}
 * GET  /codex/stop-choice                                        -> {"choice":"ASK|KEEP_ROUTED|HAND_OVER"}
 * POST /codex/stop-choice  {"choice":"..","remember":true}       -> {"ok":true}
 * GET  /requests?limit=N     [RequestView, newest first]
 * POST /requests/page        {filter, offset, limit} -> [RequestView] (the log window's pages, answered in SQL)
 * POST /requests/count       {filter} -> {count}
 * POST /requests/usage       {from, bucketMs} -> [UsageBucket]
 * POST /runs/start           {pid, command, account|home, strict} -> StartedRun (codex-relay run; the key goes to its process only)
 * POST /runs/end             {"name":"run:PID COMMAND"}          -> {"ok":true}
 * GET  /clients/usage        [ClientUsage] (per client key since the daemon started)
 * GET  /config               {"section.key": value, ...}
 * GET  /prices               ApiPrices ({"rates":[{"pattern","input","cachedInput","output","fromUser"}]})
 * POST /config               {"changes":{"section.key": value}}  -> {"restartNeeded":["section.key"]}
 * POST /ui/show-settings                                         -> {"ok":true}  (400 when the daemon has no window)
 * POST /accounts/export      {"passphrase":".."}                 -> {"file":"<base64>"}
 * POST /accounts/import      {"file":"<base64>","passphrase":"..","apply":false} -> AccountsImport
 * GET  /sync                                                     SyncStatus
 * POST /sync/now                                                 -> SyncStatus
 * POST /sync/secrets         {"password":..,"passphrase":".."}   -> {"ok":true}
 * GET  /homes                                                    [CodexHomeView]
 * POST /homes/create         {"name","account","dir","from","strict"} -> CodexHomeView
 * POST /homes/bind           {"name","account","strict"}         -> CodexHomeView
 * POST /homes/remove         {"name"}                            -> CodexHomeView
 * </pre>
 * Errors: {@code {"error":{"message":".."}}} with 400 (refused by the control, message for the user), 401 (token),
 * 403 (not loopback), 404 (route), 405 (method), 413 (body too large), 500 (unexpected; details in the daemon log).
 *
 * <p>Admin calls are rare and may touch the database; they run on Jetty's worker threads (blocking handler), never on
 * the relay's hot path.
 */
public final class AdminHandler extends Handler.Abstract {
    public static final String PREFIX = "/_relay/admin";
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final int MAX_BODY = 1 << 20;

    private final ControlApi control;
    private final byte[] token;
    private final long pid;
    private final String version;
    private final ObjectMapper json = AppJson.mapper();

    public AdminHandler(ControlApi control, String token, String version) {
        this.control = control;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.pid = ProcessHandle.current().pid();
        this.version = version;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = 200;
        Object result;
        try {
            // The body is read before anything is decided, refusals included: a request answered with its body still
            // unread makes Jetty close the connection after a keep-alive answer, and a client that reuses it fails.
            byte[] body = readBody(request);
            result = route(request, body);
        } catch (HttpError e) {
            status = e.status;
            result = error(e.getMessage());
        } catch (ControlException e) {
            status = 400;
            result = error(e.getMessage());
        } catch (Exception e) {
            log.warn("Admin request {} {} failed", request.getMethod(), request.getHttpURI().getPath(), e);
            status = 500;
            result = error("The daemon could not do that (" + e.getClass().getSimpleName() + "); its log has the details.");
        }
        byte[] body;
        try {
            body = json.writeValueAsBytes(result);
        } catch (Exception e) {
            status = 500;
            body = "{\"error\":{\"message\":\"could not encode the answer\"}}".getBytes(StandardCharsets.UTF_8);
        }
        response.setStatus(status);
        if (status == 413) response.getHeaders().put(HttpHeader.CONNECTION, "close"); // the rest of the body stays unread
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    private Object route(Request request, byte[] raw) throws Exception {
        if (!isLoopback(Request.getRemoteAddr(request)))
            throw new HttpError(403, "The admin API only answers on loopback.");
        if (!authorized(request.getHeaders().get(HttpHeader.AUTHORIZATION)))
            throw new HttpError(401, "Missing or wrong admin token. The CLI reads it from admin.json in the relay home; "
                    + "check that CODEX_RELAY_HOME points at the running daemon's home.");
        String path = request.getHttpURI().getPath();
        int at = path.indexOf(PREFIX);
        String route = at >= 0 ? path.substring(at + PREFIX.length()) : path;
        if (route.isEmpty()) route = "/";
        String method = request.getMethod();
        boolean get = "GET".equals(method), post = "POST".equals(method);

        switch (route) {
            case "/ping" -> {
                requireMethod(get);
                return Map.of("pid", pid, "version", version);
            }
            case "/status" -> {
                requireMethod(get);
                return control.status();
            }
            case "/accounts/api-key" -> {
                requireMethod(post);
                ControlApi.NewApiKey newKey;
                try {
                    newKey = json.treeToValue(body(raw), ControlApi.NewApiKey.class);
                } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
                    // Jackson's message quotes the offending value, which may be the key: never pass it on or log it.
                    throw new HttpError(400, "The body is not an API-key account {name, key, baseUrl, priority, maxConcurrent}.");
                }
                return control.addApiKey(newKey);
            }
            case "/accounts/import-codex" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                String home = text(b, "codexHome");
                if (home == null) throw new HttpError(400, "codexHome is required.");
                return control.importCodex(Path.of(home), text(b, "name"));
            }
            case "/keys" -> {
                requireMethod(get);
                return control.keys();
            }
            case "/keys/create" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                return control.createKey(new ControlApi.NewToolKey(text(b, "name"), integer(b, "rpm"), integer(b, "maxConcurrent"),
                        text(b, "account"), b.path("strict").asBoolean(false)));
            }
            case "/runs/start" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                return control.startRun(new ControlApi.NewRun(b.path("pid").asLong(0), text(b, "command"), text(b, "account"),
                        text(b, "home"), b.path("strict").asBoolean(false)));
            }
            case "/runs/end" -> {
                requireMethod(post);
                control.endRun(text(body(raw), "name"));
                return ok();
            }
            case "/clients/usage" -> {
                requireMethod(get);
                return control.clientUsage();
            }
            case "/keys/revoke" -> {
                requireMethod(post);
                control.revokeKey(text(body(raw), "name"));
                return ok();
            }
            case "/accounts/params" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                return control.learnedParameters(text(b, "name"), b.path("reset").asBoolean(false));
            }
            case "/accounts/remove" -> {
                requireMethod(post);
                control.removeAccount(text(body(raw), "name"));
                return ok();
            }
            case "/accounts/update" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                JsonNode bal = b.get("balance");
                var changes = new ControlApi.AccountChanges(integer(b, "priority"), integer(b, "maxConcurrent"),
                        b.hasNonNull("enabled") ? b.get("enabled").asBoolean() : null, text(b, "wire"), strings(b, "modelRules"),
                        strings(b, "clients"), bal == null || bal.isNull() ? null : new ControlApi.BalanceSetting(text(bal, "url"),
                        text(bal, "remainingPath"), text(bal, "limitPath"), integer(bal, "intervalSeconds")));
                return control.updateAccount(text(b, "name"), changes);
            }
            case "/pin" -> {
                requireMethod(post);
                control.pin(text(body(raw), "name"));
                return ok();
            }
            case "/auto" -> {
                requireMethod(post);
                control.auto();
                return ok();
            }
            case "/pause" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                if (!b.has("paused") || !b.get("paused").isBoolean()) throw new HttpError(400, "paused (true/false) is required.");
                control.setPaused(b.get("paused").asBoolean());
                return ok();
            }
            case "/refresh-quota" -> {
                requireMethod(post);
                control.refreshQuota();
                return ok();
            }
            case "/accounts/chatgpt-login" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                JsonNode t = b.get("tokens");
                if (t == null || !t.isObject()) throw new HttpError(400, "tokens is required.");
                String last = text(t, "last_refresh");
                var tokens = new LoginTokens(text(t, "id_token"), text(t, "access_token"),
                        text(t, "refresh_token"), text(t, "account_id"), last == null ? null : java.time.Instant.parse(last));
                return control.addChatGptLogin(text(b, "name"), tokens);
            }
            case "/accounts/export-codex" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                String home = text(b, "codexHome");
                if (home == null) throw new HttpError(400, "codexHome is required.");
                return control.exportCodex(text(b, "name"), Path.of(home));
            }
            case "/codex/switch", "/codex/switch-undo", "/codex/direct" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                String home = text(b, "codexHome");
                if (home == null) throw new HttpError(400, "codexHome is required.");
                return switch (route) {
                    case "/codex/switch" -> control.switchDirect(text(b, "name"), Path.of(home));
                    case "/codex/switch-undo" -> control.undoDirect(Path.of(home));
                    default -> java.util.Collections.singletonMap("account", control.directAccount(Path.of(home)));
                };
            }
            case "/codex/stop-choice" -> {
                if (get) return Map.of("choice", control.stopChoice().name());
                requireMethod(post);
                JsonNode b = body(raw);
                String choice = text(b, "choice");
                ControlApi.StopChoice c;
                try {
                    c = ControlApi.StopChoice.valueOf(choice == null ? "" : choice);
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "choice must be ASK, KEEP_ROUTED or HAND_OVER.");
                }
                control.setStopChoice(c, b.path("remember").asBoolean(false));
                return Map.of("ok", true);
            }
            case "/requests" -> {
                requireMethod(get);
                String limit = Request.extractQueryParameters(request).getValue("limit");
                int n;
                try {
                    n = limit == null ? 50 : Integer.parseInt(limit);
                } catch (NumberFormatException e) {
                    throw new HttpError(400, "limit must be a whole number.");
                }
                return control.recentRequests(n);
            }
            case "/requests/page" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                return control.queryRequests(filter(b), b.path("offset").asLong(0), b.path("limit").asInt(100));
            }
            case "/requests/count" -> {
                requireMethod(post);
                return Map.of("count", control.countRequests(filter(body(raw))));
            }
            case "/requests/usage", "/requests/usage-by-client" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                String from = text(b, "from");
                long ms = b.path("bucketMs").asLong(0);
                if (from == null || ms <= 0) throw new HttpError(400, "from (an instant) and bucketMs (> 0) are required.");
                try {
                    var start = java.time.Instant.parse(from);
                    if (route.equals("/requests/usage-by-client")) return control.requestUsageByClient(start, java.time.Duration.ofMillis(ms));
                    return control.requestUsage(start, java.time.Duration.ofMillis(ms));
                } catch (java.time.format.DateTimeParseException e) {
                    throw new HttpError(400, "from must be an ISO-8601 instant like 2026-03-10T12:00:00Z.");
                }
            }
            case "/prices" -> {
                requireMethod(get);
                return control.apiPrices();
            }
            case "/config" -> {
                if (get) return control.config();
                requireMethod(post);
                JsonNode changes = body(raw).get("changes");
                if (changes == null || !changes.isObject()) throw new HttpError(400, "changes (an object of section.key: value) is required.");
                Map<String, Object> map = new LinkedHashMap<>();
                for (var e : changes.properties()) map.put(e.getKey(), json.convertValue(e.getValue(), Object.class));
                return Map.of("restartNeeded", control.applyConfig(map));
            }
            case "/config/problem" -> {
                requireMethod(get);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("problem", control.configProblem());
                return m;
            }
            case "/redaction" -> {
                if (get) return control.redactionRules();
                requireMethod(post);
                JsonNode rules = body(raw).get("rules");
                if (rules == null || !rules.isArray()) throw new HttpError(400, "rules (an array of redaction rules) is required.");
                control.saveRedactionRules(json.convertValue(rules, new com.fasterxml.jackson.core.type.TypeReference<List<RedactionEntry>>() { }));
                return ok();
            }
            case "/ui/show-settings" -> {
                requireMethod(post);
                control.showSettings();
                return ok();
            }
            default -> {
                return machinesAndHomes(route, get, post, raw);
            }
        }
    }

    /** Accounts across machines and named Codex homes (docs/sync.md, docs/cli.md `homes`). */
    private Object machinesAndHomes(String route, boolean get, boolean post, byte[] raw) throws Exception {
        switch (route) {
            case "/accounts/export" -> {
                requireMethod(post);
                String pass = text(body(raw), "passphrase");
                return Map.of("file", java.util.Base64.getEncoder().encodeToString(
                        control.exportAccounts(pass == null ? null : pass.toCharArray())));
            }
            case "/accounts/import" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                String pass = text(b, "passphrase");
                byte[] file;
                try {
                    file = java.util.Base64.getDecoder().decode(String.valueOf(text(b, "file")));
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "file must be base64.");
                }
                return control.importAccounts(file, pass == null ? null : pass.toCharArray(), b.path("apply").asBoolean(false));
            }
            case "/sync" -> {
                requireMethod(get);
                return control.syncStatus();
            }
            case "/sync/now" -> {
                requireMethod(post);
                return control.syncNow();
            }
            case "/sync/secrets" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                String pass = text(b, "passphrase");
                control.storeSyncSecrets(text(b, "password"), pass == null ? null : pass.toCharArray());
                return ok();
            }
            case "/homes" -> {
                requireMethod(get);
                return control.homes();
            }
            case "/homes/create" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                String dir = text(b, "dir"), from = text(b, "from");
                return control.createHome(text(b, "name"), text(b, "account"), dir == null ? null : Path.of(dir),
                        from == null ? null : Path.of(from), b.path("strict").asBoolean(false));
            }
            case "/homes/bind" -> {
                requireMethod(post);
                JsonNode b = body(raw);
                return control.bindHome(text(b, "name"), text(b, "account"), b.hasNonNull("strict") ? b.get("strict").asBoolean() : null);
            }
            case "/homes/remove" -> {
                requireMethod(post);
                return control.removeHome(text(body(raw), "name"));
            }
            default -> throw new HttpError(404, "No admin route " + route + ".");
        }
    }

    private LogQuery.Filter filter(JsonNode body) throws HttpError {
        JsonNode f = body.get("filter");
        if (f == null || f.isNull()) return LogQuery.Filter.ALL;
        try {
            return json.treeToValue(f, LogQuery.Filter.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            throw new HttpError(400, "filter must be {account, status, text, maxId}.");
        }
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        byte[] presented = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(token, presented);
    }

    private static byte[] readBody(Request request) throws Exception {
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY) throw new HttpError(413, "The request body is too large.");
        return bytes;
    }

    private JsonNode body(byte[] bytes) throws HttpError {
        if (bytes.length == 0) return json.createObjectNode();
        try {
            JsonNode n = json.readTree(bytes);
            return n == null || !n.isObject() ? json.createObjectNode() : n;
        } catch (Exception e) {
            throw new HttpError(400, "The request body is not a JSON object.");
        }
    }

    private static void requireMethod(boolean ok) throws HttpError {
        if (!ok) throw new HttpError(405, "Method not allowed on this admin route.");
    }

    private static boolean isLoopback(String addr) {
        if (addr == null) return false;
        try {
            return InetAddress.getByName(addr).isLoopbackAddress();
        } catch (Exception e) {
            return false;
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** A list of strings, or null when the field is absent. */
    private static java.util.List<String> strings(JsonNode n, String field) throws HttpError {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isArray()) throw new HttpError(400, field + " must be a list of strings.");
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode e : v) out.add(e.asText());
        return out;
    }

    private static Integer integer(JsonNode n, String field) throws HttpError {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new HttpError(400, field + " must be a whole number.");
        return v.asInt();
    }

    private ObjectNode error(String message) {
        ObjectNode root = json.createObjectNode();
        root.putObject("error").put("message", message);
        return root;
    }

    private static Map<String, Object> ok() { return Map.of("ok", true); }

    private static final class HttpError extends Exception {
        final int status;
        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
