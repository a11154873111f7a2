package dev.writ.server.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What the demo did: numbered sections of steps, each with the outcome that was expected, whether it happened, and its
 * key facts. Listeners see every section and step as it completes (for live terminal output).
 */
public final class DemoReport {
    /** One step: {@code ok} is true when the expected outcome happened. */
    public record Step(String id, String number, String title, String expected, boolean ok, ObjectNode facts) {
        public Step {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(title, "title");
            facts = facts == null ? JsonNodeFactory.instance.objectNode() : facts.deepCopy();
        }

        @Override
        public ObjectNode facts() {
            return facts.deepCopy();
        }
    }

    /** A section heading, numbered from 1. */
    public record Section(int number, String title) {}

    /** Receives the report's progress. */
    public interface Listener {
        void section(Section section);

        void step(Step step);
    }

    private final List<Section> sections = new ArrayList<>();
    private final List<Step> steps = new ArrayList<>();
    private final Listener listener;

    public DemoReport(Listener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** A report nobody watches. */
    public static DemoReport quiet() {
        return new DemoReport(new Listener() {
            @Override
            public void section(Section section) {}

            @Override
            public void step(Step step) {}
        });
    }

    synchronized Section section(String title) {
        Section s = new Section(sections.size() + 1, title);
        sections.add(s);
        listener.section(s);
        return s;
    }

    synchronized Step step(String id, String title, String expected, boolean ok, Consumer<ObjectNode> facts) {
        ObjectNode f = JsonNodeFactory.instance.objectNode();
        if (facts != null) {
            facts.accept(f);
        }
        Section current = sections.isEmpty() ? new Section(0, "") : sections.get(sections.size() - 1);
        Step s = new Step(id, current.number() + "." + (countIn(current) + 1), title, expected, ok, f);
        steps.add(s);
        listener.step(s);
        return s;
    }

    private int countIn(Section section) {
        String prefix = section.number() + ".";
        return (int) steps.stream().filter(s -> s.number().startsWith(prefix)).count();
    }

    public synchronized List<Step> steps() {
        return List.copyOf(steps);
    }

    public synchronized List<Section> sections() {
        return List.copyOf(sections);
    }

    /** True when at least one step ran and every expected outcome happened. */
    public synchronized boolean ok() {
        return !steps.isEmpty() && steps.stream().allMatch(Step::ok);
    }

    /** {@code {"ok", "passed", "total", "sections":[{"number","title","steps":[{"id","number","title",...}]}]}}. */
    public synchronized ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("ok", ok());
        root.put("passed", steps.stream().filter(Step::ok).count());
        root.put("total", steps.size());
        ArrayNode secs = root.putArray("sections");
        for (Section sec : sections) {
            ObjectNode o = secs.addObject();
            o.put("number", sec.number());
            o.put("title", sec.title());
            ArrayNode a = o.putArray("steps");
            String prefix = sec.number() + ".";
            for (Step s : steps) {
                if (!s.number().startsWith(prefix)) {
                    continue;
                }
                ObjectNode st = a.addObject();
                st.put("id", s.id());
                st.put("number", s.number());
                st.put("title", s.title());
                st.put("expected", s.expected());
                st.put("ok", s.ok());
                st.set("facts", s.facts());
            }
        }
        return root;
    }
}
