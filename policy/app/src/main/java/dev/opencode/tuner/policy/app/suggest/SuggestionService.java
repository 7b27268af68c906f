package dev.opencode.tuner.policy.app.suggest;

import dev.opencode.tuner.policy.app.PolicyConfig;
import dev.opencode.tuner.suggest.Allowlist;
import dev.opencode.tuner.suggest.CidrSuggester;
import dev.opencode.tuner.suggest.Denylist;
import dev.opencode.tuner.suggest.InstanceAggregate;
import dev.opencode.tuner.suggest.SuggestionPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Pending suggestions, computed on each request by the core engine from the aggregates and allowlists in the
 * database. Nothing is cached: every policy instance answers the same from the same database.
 */
@ApplicationScoped
public class SuggestionService {
    private final AggregateReader reader;
    private final CidrSuggester suggester;

    SuggestionService(DataSource dataSource, PolicyConfig config) {
        this.reader = new AggregateReader(dataSource);
        PolicyConfig.Suggest suggest = config.suggest();
        this.suggester = new CidrSuggester(policy(suggest.minAddresses(), suggest.prefix4(), suggest.prefix6(),
                suggest.deny().orElse(List.of())));
    }

    /** The suggestion policy of {@code tuner.policy.suggest.*}; fails naming the key for a bad value. */
    public static SuggestionPolicy policy(int minAddresses, int prefix4, int prefix6, List<String> deny) {
        Denylist denylist;
        try {
            denylist = Denylist.defaultsPlus(deny, "denied by tuner.policy.suggest.deny");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tuner.policy.suggest.deny: " + e.getMessage(), e);
        }
        return new SuggestionPolicy(minAddresses, prefix4, prefix6, denylist);
    }

    public InstanceViews.InstanceList instances() throws SQLException {
        List<InstanceViews.InstanceSummary> list = new ArrayList<>();
        for (AggregateReader.InstanceRow row : reader.instances()) {
            list.add(new InstanceViews.InstanceSummary(row.host(), row.instance(), row.events(), row.destinations(),
                    row.firstSeen().toString(), row.lastSeen().toString()));
        }
        return new InstanceViews.InstanceList(list);
    }

    /** Suggestions for the selected instances (null selects all), sorted by host then instance. */
    public SuggestionViews.SuggestionList suggestions(String host, String instance) throws SQLException {
        AggregateReader.Snapshot snapshot = reader.read(host, instance);
        List<SuggestionViews.InstanceView> views = new ArrayList<>();
        for (InstanceAggregate aggregate : snapshot.aggregates()) {
            Allowlist allowlist = Allowlist.of(snapshot.allowlist(aggregate.host(), aggregate.instance()));
            views.add(SuggestionViews.of(suggester.suggest(aggregate, allowlist)));
        }
        return new SuggestionViews.SuggestionList(views);
    }
}
