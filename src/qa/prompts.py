"""Fixed texts the assistant says."""

ABSTAIN = "The documents don't say. Nothing in them answers: “{question}”"
ABSTAIN_UNKNOWN = "The documents don't say: they never mention {names}."
ABSTAIN_UNDATED = "The documents don't say when: the passages about it give no date."
ABSTAIN_NO_HOLDER = ("The documents don't say who: the passages about it name no one in that "
                     "role.")
ABSTAIN_NO_SHARE = ("The documents don't give that share: the passages about it give no "
                    "percentage or ratio.")
ABSTAIN_NO_EMAIL = ("The documents don't give that e-mail address: the passages about it give "
                    "none.")
ABSTAIN_NOT_NEGATED = ("The documents don't say: the question asks what is not so, and the "
                       "passages about it only say what is.")
ABSTAIN_PROVENANCE = "The documents don't say: “{title}” names no {field}."

GROUNDED_SYSTEM = (
    "You answer questions using only the numbered sources you are given. Write one to three "
    "short sentences in the language of the question. End every sentence with the number of the "
    "source it comes from, like [1] or [2]. Use no knowledge beyond the sources. If the sources "
    "do not answer the question, reply exactly: The documents don't say."
)

GROUNDED_USER = "Sources:\n{sources}\n\nQuestion: {question}"

REWRITE_SYSTEM = (
    "Rewrite the user's last question so that it can be understood without the conversation: "
    "replace pronouns with the names they stand for. Reply with the rewritten question only."
)

REWRITE_USER = "Conversation:\n{history}\n\nLast question: {question}"
ABSTAIN_POLAR = ("The documents don't say whether that is so: the passages about it neither state "
                 "nor deny it.")
ABSTAIN_NO_EXPANSION = ("The documents don't say what it stands for: the passages that use it "
                        "never spell it out.")
