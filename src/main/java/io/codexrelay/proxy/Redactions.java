package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.account.ClientKind;
import io.codexrelay.config.RedactionRule;
import io.codexrelay.convert.Redactor;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code [[redact]]} rules in force (issue 12), chosen per attempt: a rule may be scoped to some accounts and to
 * some kinds of tool, so the same request can be redacted differently on the next account. The upstream dialects apply
 * them to the canonical body just before it is sent (so every wire gets them, and the client's own view is never
 * touched); the rules are replaced whole on a config change and read without locks. No rules: nothing is parsed.
 */
final class Redactions {
    private volatile List<RedactionRule> rules = List.of();

    void replace(List<RedactionRule> next) { rules = List.copyOf(next); }

    boolean active() { return !rules.isEmpty(); }

    /** The body for {@code account}, with the count of replacements (the body itself when no rule applies). */
    Redactor.Result apply(Account account, String path, byte[] body) {
        List<RedactionRule> all = rules;
        if (all.isEmpty()) return new Redactor.Result(body, 0);
        String client = ClientKind.ofPath(path).label();
        List<Redactor.Rule> applying = new ArrayList<>();
        for (RedactionRule r : all) {
            if (r.appliesTo(account.name(), client)) applying.add(new Redactor.Rule(r.pattern(), r.replacement()));
        }
        return Redactor.apply(body, applying);
    }
}
