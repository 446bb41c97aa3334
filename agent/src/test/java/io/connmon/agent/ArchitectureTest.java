package io.connmon.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.connmon.parser.source.SocketSource;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The one-way flow, kernel to parser to snapshot to metrics, JSON and the command line, as rules over the
 * compiled classes of all three modules (this module's test class path holds them all).
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.connmon");
    }

    @Test
    void parserKnowsNothingOfHttpMetricsJsonOrTheCommandLine() {
        noClasses().that().resideInAPackage("io.connmon.parser..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "io.connmon.exporter..", "io.connmon.agent..",
                        "com.sun.net.httpserver..", "io.prometheus..", "io.micrometer..",
                        "com.fasterxml.jackson..", "picocli..")
                .check(classes);
    }

    @Test
    void exporterKnowsNothingOfTheCommandLine() {
        noClasses().that().resideInAPackage("io.connmon.exporter..")
                .should().dependOnClassesThat().resideInAnyPackage("io.connmon.agent..", "picocli..")
                .check(classes);
    }

    @Test
    void onlyTheSourcesPackageKnowsConcreteSources() {
        // What a source can or cannot do (backlog limits, tcp_info, destroy events) is asked of the SocketSource
        // contract or read from its collection, never by testing which source it is.
        noClasses().that().resideOutsideOfPackages("io.connmon.parser.source..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "io.connmon.parser.source.procfs..", "io.connmon.parser.source.oshi..",
                        "io.connmon.parser.source.netlink..")
                .check(classes);
    }

    /**
     * A source that wraps another hands on everything the contract can ask of it: the SocketSource interface
     * gives defaults (read everything, no destroy events), and a wrapper that forgot one would quietly take a
     * capability away from the source under it.
     */
    @Test
    void aSourceThatWrapsAnotherHandsOnEveryCapability() {
        ArchCondition<JavaClass> delegateAll = new ArchCondition<>("override every method of SocketSource") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                for (JavaMethod m : classes.get(SocketSource.class).getMethods()) {
                    boolean declared = c.getMethods().stream().anyMatch(own -> own.getName().equals(m.getName())
                            && own.getRawParameterTypes().equals(m.getRawParameterTypes()));
                    if (!declared) {
                        events.add(SimpleConditionEvent.violated(c, c.getName() + " wraps a SocketSource but does not "
                                + "override " + m.getName() + m.getRawParameterTypes().stream().map(JavaClass::getSimpleName)
                                .collect(java.util.stream.Collectors.joining(", ", "(", ")"))));
                    }
                }
            }
        };
        classes().that().implement(SocketSource.class)
                .and(new DescribedPredicate<JavaClass>("hold another SocketSource") {
                    @Override
                    public boolean test(JavaClass c) {
                        return c.getFields().stream().anyMatch(f -> f.getRawType().isAssignableTo(SocketSource.class));
                    }
                })
                .should(delegateAll)
                .check(classes);
    }
}
