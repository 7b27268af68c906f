package dev.opencode.tuner.cli.policy;

/** Where the service's address or the account came from: messages say how to change it there. */
public enum Origin {
    /** {@code --policy-url}, or {@code --user} with {@code --password-file}. */
    FLAGS,
    /** {@code TUNER_POLICY_URL}, or {@code TUNER_USER} with {@code TUNER_PASSWORD}. */
    ENVIRONMENT,
    /** The stack of {@code ./tuner up}: its policy service's address, its local admin. */
    LOCAL_STACK
}
