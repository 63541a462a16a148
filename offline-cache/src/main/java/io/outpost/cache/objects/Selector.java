package io.outpost.cache.objects;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A Kubernetes label or field selector: requirements that must all hold (a comma in the text means
 * "and"). Immutable; {@link #equals} and {@link #toString()} use a canonical form, so
 * {@code "b=2,a=1"} and {@code "a==1, b=2"} are the same selector.
 *
 * <pre>{@code
 * Selector byNode = Selector.parseFields("spec.nodeName=edge-1");
 * Selector proxied = Selector.parseLabels("!service.kubernetes.io/headless,tier in (web,api)");
 * boolean ok = proxied.matches(Map.of("tier", "web"));      // true
 * }</pre>
 *
 * <p>Label selectors accept the full equality- and set-based syntax of {@code kubectl -l}:
 * {@code a=b}, {@code a==b}, {@code a!=b}, {@code a in (x,y)}, {@code a notin (x)}, {@code a},
 * {@code !a}. Field selectors accept {@code =}, {@code ==} and {@code !=} on the fields node
 * components select on ({@link #SUPPORTED_FIELDS}); as the API server does, an unknown field is an
 * error rather than a selector that silently matches nothing. Bad input throws
 * {@link IllegalArgumentException} naming the selector, the position and the problem.
 */
public final class Selector {

    /** The fields a field selector may name; what kubelet, kube-proxy and CNI plugins select on. */
    public static final Set<String> SUPPORTED_FIELDS =
            Set.of("metadata.name", "metadata.namespace", "spec.nodeName", "status.phase");

    private static final Selector EVERYTHING = new Selector(List.of());

    /** How a requirement compares the key's value. */
    public enum Operator {
        /** The key is present and its value equals the single value ({@code a=b}, {@code a==b}). */
        EQUALS,
        /** The key is absent or its value differs from the single value ({@code a!=b}). */
        NOT_EQUALS,
        /** The key is present and its value is one of the values ({@code a in (x,y)}). */
        IN,
        /** The key is absent or its value is none of the values ({@code a notin (x,y)}). */
        NOT_IN,
        /** The key is present ({@code a}). */
        EXISTS,
        /** The key is absent ({@code !a}). */
        DOES_NOT_EXIST
    }

    /**
     * One requirement: {@code key}, {@code operator} and its values (sorted, distinct; one value for
     * the equality operators, none for the existence operators).
     */
    public record Requirement(String key, Operator operator, List<String> values) implements Comparable<Requirement> {

        private static final Comparator<Requirement> ORDER = Comparator.comparing(Requirement::key)
                .thenComparing(Requirement::operator)
                .thenComparing(r -> String.join("\u0000", r.values()));

        public Requirement {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(operator, "operator");
            values = List.copyOf(new TreeSet<>(values));
        }

        /** Whether an object whose value for {@link #key()} is {@code value} ({@code null}: absent) passes. */
        public boolean matches(String value) {
            return switch (operator) {
                case EQUALS, IN -> value != null && values.contains(value);
                case NOT_EQUALS, NOT_IN -> value == null || !values.contains(value);
                case EXISTS -> value != null;
                case DOES_NOT_EXIST -> value == null;
            };
        }

        @Override
        public int compareTo(Requirement other) {
            return ORDER.compare(this, other);
        }

        /** Canonical text; values escaped as in field selectors, which never changes a valid label value. */
        @Override
        public String toString() {
            return switch (operator) {
                case EQUALS -> key + "=" + escape(values.get(0));
                case NOT_EQUALS -> key + "!=" + escape(values.get(0));
                case IN -> key + " in (" + String.join(",", values) + ")";
                case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
                case EXISTS -> key;
                case DOES_NOT_EXIST -> "!" + key;
            };
        }

        private static String escape(String value) {
            return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=");
        }
    }

    private final List<Requirement> requirements;

    private Selector(List<Requirement> requirements) {
        List<Requirement> sorted = new ArrayList<>(new HashSet<>(requirements));
        Collections.sort(sorted);
        this.requirements = List.copyOf(sorted);
    }

    static Selector of(List<Requirement> requirements) {
        return requirements.isEmpty() ? EVERYTHING : new Selector(requirements);
    }

    /** The selector that matches every object (an absent {@code labelSelector} or {@code fieldSelector}). */
    public static Selector everything() {
        return EVERYTHING;
    }

    /**
     * Parses a label selector as {@code kubectl -l} and the API's {@code labelSelector} parameter take
     * it; {@code null} or blank means {@link #everything()}.
     *
     * @throws IllegalArgumentException naming the selector, the position and what is wrong
     */
    public static Selector parseLabels(String text) {
        return SelectorParser.parseLabels(text);
    }

    /**
     * Parses a field selector ({@code fieldSelector} parameter); {@code null} or empty means
     * {@link #everything()}. Only {@link #SUPPORTED_FIELDS} may be named.
     *
     * @throws IllegalArgumentException naming the selector and what is wrong
     */
    public static Selector parseFields(String text) {
        return SelectorParser.parseFields(text);
    }

    /** The requirements in canonical order. */
    public List<Requirement> requirements() {
        return requirements;
    }

    /** Whether this selector has no requirement, i.e. matches everything. */
    public boolean isEverything() {
        return requirements.isEmpty();
    }

    /**
     * Whether an object passes, given how to look up its value for a key ({@code null}: the key is
     * absent, e.g. a label the object does not carry).
     */
    public boolean matches(Function<String, String> valueOf) {
        return matches(null, valueOf);
    }

    /** Whether an object with these labels passes. */
    public boolean matches(Map<String, String> labels) {
        return matches(labels, null);
    }

    /**
     * Values from {@code labels}, or else from {@code valueOf}. Indexed, not for-each, and no
     * method reference ({@code labels::get}): a cached LIST tests every object of its bucket, and
     * an iterator or a lambda per object was most of what a LIST allocated.
     */
    private boolean matches(Map<String, String> labels, Function<String, String> valueOf) {
        for (int i = 0; i < requirements.size(); i++) {
            Requirement requirement = requirements.get(i);
            String value = labels != null ? labels.get(requirement.key()) : valueOf.apply(requirement.key());
            if (!requirement.matches(value)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether every requirement of {@code other} is also a requirement of this selector, so that every
     * object this selector matches is matched by {@code other} as well. This is how the cache decides
     * that a list fetched with {@code other} holds everything a query with this selector needs.
     */
    public boolean includesAllOf(Selector other) {
        return new HashSet<>(requirements).containsAll(other.requirements);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Selector other && requirements.equals(other.requirements);
    }

    @Override
    public int hashCode() {
        return requirements.hashCode();
    }

    /** The canonical text (requirements sorted, {@code ==} as {@code =}); parses back to an equal selector. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (Requirement requirement : requirements) {
            if (s.length() > 0) {
                s.append(',');
            }
            s.append(requirement);
        }
        return s.toString();
    }
}
