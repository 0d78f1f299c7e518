"""Words that reach templates as data (states, roles, form messages), listed so extraction finds them."""


def N_(message: str) -> str:
    """Mark a message for the catalogs without translating it here."""
    return message


DYNAMIC = (
    # roles
    N_("officer"),
    N_("finance"),
    N_("supplier"),
    N_("admin"),
    # competition, bid, run, contract, period, application, referral and event states
    N_("draft"),
    N_("published"),
    N_("opened"),
    N_("awarded"),
    N_("concluded"),
    N_("cancelled"),
    N_("submitted"),
    N_("eligible"),
    N_("ineligible"),
    N_("withdrawn"),
    N_("optimal"),
    N_("infeasible"),
    N_("active"),
    N_("open"),
    N_("closed"),
    N_("approved"),
    N_("exported"),
    N_("received"),
    N_("pending"),
    N_("extended"),
    N_("admitted"),
    N_("rejected"),
    N_("referred"),
    N_("started"),
    N_("ended"),
    N_("reported"),
    N_("verified"),
    N_("voided"),
    # target groups
    N_("general"),
    N_("long_term_unemployed"),
    N_("youth"),
    N_("over_55"),
    N_("immigrants"),
    N_("partial_work_ability"),
    # form messages and titles of refusals
    N_("Required."),
    N_("Enter a whole number."),
    N_("Enter an amount in euros, e.g. 1 234,50."),
    N_("At most two decimals."),
    N_("Enter a percentage, e.g. 50."),
    N_("Enter a date and time."),
    N_("Enter a date."),
    N_("Choose one."),
    N_("A competition has at least one lot."),
    N_("The token is not valid (unknown or revoked)."),
    N_("Authentication required"),
    N_("Not allowed for your role"),
    N_("Not found"),
    N_("Conflict"),
    N_("Illegal state transition"),
    N_("Invalid input"),
    N_("Request refused"),
    N_("Service unavailable"),
)
