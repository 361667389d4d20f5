package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;
import io.codexrelay.account.LearnedParameters;
import io.codexrelay.account.ModelRule;
import io.codexrelay.convert.StreamConverter;
import io.codexrelay.convert.UpstreamRequest;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.io.Content;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * An upstream that does not speak Responses: Codex's canonical request is translated ({@code io.codexrelay.convert}),
 * the account's model rules and learned parameters applied, and a 2xx SSE answer converted back to Responses events
 * as the attempt reads it. One instance per attempt ({@link ResponsesForwarder#upstreamFor}): it keeps that attempt's
 * translated request for the stream converter and for {@link #learnFrom}.
 *
 * <p>Only the account's credentials and the content headers go upstream: Codex's own headers (session ids,
 * originator, OpenAI beta flags) mean nothing to another provider and are not sent to it.
 */
abstract class ConvertingUpstream implements UpstreamDialect {
    private static final Logger log = LoggerFactory.getLogger(ConvertingUpstream.class);
    static final ObjectMapper JSON = new ObjectMapper();

    final UpstreamClient upstream;
    final LearnedParameters learned;
    final Clock clock;
    /** The redaction rules (applied to the canonical body before it is translated); null: none. */
    Redactions redactions;
    private int redacted;
    /** This attempt's account (set by {@link #newRequest}). */
    Account account;
    UpstreamRequest translated;
    /** The model Codex asked for (what it sees in every event) and the one sent upstream after the model rules. */
    String clientModel;
    String upstreamModel;
    /** Parameters actually sent at the top level of the upstream body, for {@link #learnFrom}. */
    Set<String> sentParams = Set.of();
    private volatile int status;

    ConvertingUpstream(UpstreamClient upstream, LearnedParameters learned, Clock clock) {
        this.upstream = upstream;
        this.learned = learned;
        this.clock = clock;
    }

    /** The canonical request in this upstream's dialect. */
    abstract UpstreamRequest translate(JsonNode canonical);

    /** The URL to POST to, from the account's base URL (no trailing slash). */
    abstract String url(String base);

    /** The account's credentials and the dialect's fixed headers. */
    abstract void authenticate(org.eclipse.jetty.http.HttpFields.Mutable headers, String key);

    /** A converter for one answer stream. */
    abstract StreamConverter converter(UpstreamRequest request, String clientModel, String responseId);

    /** The dialect's name for the log. */
    abstract String wireName();

    @Override
    public Request newRequest(Account account, ResponsesForwarder.Incoming in, byte[] canonicalBody) {
        if (!(account.credentials() instanceof Credentials.ApiKey key))
            throw new IllegalStateException("account " + account.name() + " has no API key for its " + wireName() + " upstream");
        this.account = account;
        if (redactions != null) {
            var r = redactions.apply(account, in.path(), canonicalBody);
            redacted = r.replacements();
            canonicalBody = r.body();
        }
        JsonNode canonical;
        try {
            canonical = JSON.readTree(canonicalBody);
        } catch (IOException e) {
            throw new IllegalArgumentException("the request body is not JSON", e);
        }
        clientModel = canonical.path("model").asText(null);
        String target = ModelRule.apply(key.modelRules(), clientModel);
        upstreamModel = target != null ? target : clientModel;
        if (target != null && canonical instanceof ObjectNode o) {
            o.put("model", target);
            log.debug("Account {}: model {} sent as {}", account.name(), clientModel, target);
        }
        translated = translate(canonical);
        ObjectNode body = translated.body();
        if (!translated.dropped().isEmpty())
            log.info("Account {} ({}): left out what this upstream cannot take: {}", account.name(), wireName(), translated.dropped());
        List<String> removed = new ArrayList<>();
        for (String p : learned == null ? Set.<String>of() : learned.dropped(account.id(), upstreamModel)) {
            if (body.remove(p) != null) removed.add(p);
        }
        if (!removed.isEmpty())
            log.info("Account {} ({}), model {}: left out learned unsupported parameters {}", account.name(), wireName(), upstreamModel, removed);
        List<String> names = new ArrayList<>();
        body.fieldNames().forEachRemaining(names::add);
        sentParams = Set.copyOf(names);
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String base = key.baseUrl();
        if (base == null || base.isBlank()) base = upstream.config().defaultApiBaseUrl();
        while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
        Request r = upstream.newPost(url(base));
        r.headers(h -> {
            h.put("accept", "text/event-stream");
            authenticate(h, key.key());
        });
        r.body(new OneShotContent("application/json", bytes));
        r.onResponseBegin(resp -> status = resp.getStatus());
        return r;
    }

    @Override
    public int redacted() { return redacted; }

    @Override
    public Content.Source canonicalAnswer(Content.Source upstreamAnswer) {
        int s = status;
        if (s < 200 || s >= 300) return upstreamAnswer; // error bodies go to the FailureClassifier as they are
        return new ConvertedAnswer(upstreamAnswer, converter(translated, clientModel, "resp_" + UUID.randomUUID().toString().replace("-", "")));
    }

    /**
     * A 400 from this upstream: when it names a parameter the request carried that may be left out, remember it for
     * this account and model (the next attempt leaves it out) and say so in the log. True when something was learned.
     */
    boolean learnFrom(byte[] errorBody) {
        if (learned == null || account == null) return false;
        String param = UnsupportedParameter.named(errorBody, sentParams);
        if (param == null) return false;
        learned.learn(account.id(), upstreamModel, param);
        // Without tools, a tool choice is refused by most servers: it goes with them.
        if (param.equals("tools")) {
            for (String p : List.of("tool_choice", "parallel_tool_calls")) if (sentParams.contains(p)) learned.learn(account.id(), upstreamModel, p);
        }
        log.warn("Account {} ({}), model {}: the upstream refused the parameter '{}'; it is left out from now on "
                + "(see `codex-relay accounts params {}`)", account.name(), wireName(), upstreamModel, param, account.name());
        return true;
    }
}
