package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;

/**
 * A noise schedule (sd.cpp's {@code scheduler_t}): which noise levels (sigmas) the steps visit.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use (from {@code sd_scheduler_name}); {@link #fromSdName(String)}
 * parses it (through {@code str_to_scheduler}). Both call into the native library.
 */
public enum Scheduler implements NativeEnum {
    /** {@code DISCRETE_SCHEDULER} */
    DISCRETE(SdCpp.DISCRETE_SCHEDULER()),
    /** {@code KARRAS_SCHEDULER} */
    KARRAS(SdCpp.KARRAS_SCHEDULER()),
    /** {@code EXPONENTIAL_SCHEDULER} */
    EXPONENTIAL(SdCpp.EXPONENTIAL_SCHEDULER()),
    /** {@code AYS_SCHEDULER} */
    AYS(SdCpp.AYS_SCHEDULER()),
    /** {@code GITS_SCHEDULER} */
    GITS(SdCpp.GITS_SCHEDULER()),
    /** {@code SGM_UNIFORM_SCHEDULER} */
    SGM_UNIFORM(SdCpp.SGM_UNIFORM_SCHEDULER()),
    /** {@code SIMPLE_SCHEDULER} */
    SIMPLE(SdCpp.SIMPLE_SCHEDULER()),
    /** {@code SMOOTHSTEP_SCHEDULER} */
    SMOOTHSTEP(SdCpp.SMOOTHSTEP_SCHEDULER()),
    /** {@code KL_OPTIMAL_SCHEDULER} */
    KL_OPTIMAL(SdCpp.KL_OPTIMAL_SCHEDULER()),
    /** {@code LCM_SCHEDULER} */
    LCM(SdCpp.LCM_SCHEDULER()),
    /** {@code BONG_TANGENT_SCHEDULER} */
    BONG_TANGENT(SdCpp.BONG_TANGENT_SCHEDULER());

    private final int value;

    Scheduler(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return NativeEnum.name(SdCpp::sd_scheduler_name, value);
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static Scheduler fromSdName(String name) {
        return NativeEnum.parse(Scheduler.class, SdCpp::str_to_scheduler, name);
    }
}
