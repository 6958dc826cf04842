package dev.sdjava;

/**
 * A noise schedule (sd.cpp's {@code scheduler_t}): which noise levels (sigmas) the steps visit.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use; {@link #fromSdName(String)}
 * parses it. Neither loads the native library (a test checks the names against sd.cpp's own).
 */
public enum Scheduler {
    /** {@code DISCRETE_SCHEDULER} */
    DISCRETE(0, "discrete"),
    /** {@code KARRAS_SCHEDULER} */
    KARRAS(1, "karras"),
    /** {@code EXPONENTIAL_SCHEDULER} */
    EXPONENTIAL(2, "exponential"),
    /** {@code AYS_SCHEDULER} */
    AYS(3, "ays"),
    /** {@code GITS_SCHEDULER} */
    GITS(4, "gits"),
    /** {@code SGM_UNIFORM_SCHEDULER} */
    SGM_UNIFORM(5, "sgm_uniform"),
    /** {@code SIMPLE_SCHEDULER} */
    SIMPLE(6, "simple"),
    /** {@code SMOOTHSTEP_SCHEDULER} */
    SMOOTHSTEP(7, "smoothstep"),
    /** {@code KL_OPTIMAL_SCHEDULER} */
    KL_OPTIMAL(8, "kl_optimal"),
    /** {@code LCM_SCHEDULER} */
    LCM(9, "lcm"),
    /** {@code BONG_TANGENT_SCHEDULER} */
    BONG_TANGENT(10, "bong_tangent");

    private final int value;
    private final String sdName;

    Scheduler(int value, String sdName) {
        this.value = value;
        this.sdName = sdName;
    }

    /** The C enum's value. */
    int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return sdName;
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static Scheduler fromSdName(String name) {
        return CEnums.parse(Scheduler.class, values(), Scheduler::sdName, name);
    }
}
