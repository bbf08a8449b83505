"""One update's work for one participant: its screens, its moves, the answers to its taps.

The step lives in the database (`users.step`), not in memory: every update reads it, commits the
answer together with the next step, and only then sends the next question. A restart of the bot
loses nothing and resumes exactly there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from datetime import datetime

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest

from bot.handlers import replies
from bot.handlers.steps import kind_of, prompt, screen
from bot.handlers.views import Screen, Views, chosen_keyboard
from bot.journey import Step
from bot.services import BotContext
from bot.storage.records import Answer, Participant

logger = logging.getLogger(__name__)


async def send_screen(context: BotContext, chat_id: int, screen: Screen) -> None:
    """Send a screen's messages, the keyboard on the last."""
    texts = screen.messages()
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        await replies.send(context.bot, chat_id, text, screen.keyboard if last else None)


class Turn:
    """One update's work for one participant: read the step, store the answer, show the next."""

    def __init__(self, update: Update, context: BotContext, participant: Participant) -> None:
        self.update = update
        self.context = context
        self.services = context.services
        self.repo = self.services.repo
        self.p = participant
        self.journey = self.services.journey_for(participant)
        self.views = self._views()
        self._ = self.views._
        # `repo.participant_writes` when `p` was last what is stored, and the step the turn
        # moved them to since (`enter`): see `reload`.
        self._known_at = self.repo.participant_writes
        self._moved: tuple[str, bool] | None = None

    def _views(self) -> Views:
        return Views(
            self.services.content,
            self.journey,
            self.p,
            bot_username=self.context.bot.username if self.p.step == Step.DONE else None,
        )

    @property
    def now(self) -> datetime:
        """The time of this update, from the injectable clock."""
        return self.services.clock()

    async def reload(self) -> Participant:
        """The participant again after a write, and the views re-pointed at them.

        When nothing that may change a participant was written since they were read but their
        own step's move (`enter`), they are built from it, not read again (a read of three
        tables, a tenth of a tap's work); any other write, a rollback, or a bulk write of
        anyone's row, and they are read.
        """
        if self._moved is not None and self.repo.participant_writes == self._known_at:
            step, editing = self._moved
            participant = dataclasses.replace(self.p, step=step, editing=editing, blocked=False)
        else:
            read = await self.repo.participant(self.p.user_id)
            assert read is not None
            participant = read
        self._known_at = self.repo.participant_writes
        self._moved = None
        self.context.remember(participant.user_id, participant)
        self.p = participant
        self.journey = self.services.journey_for(participant)
        self.views = self._views()
        self._ = self.views._
        return participant

    async def answers(self, items: tuple[str, ...] | None = None) -> dict[str, Answer]:
        """The participant's answers so far: to `items`, or (None) to everything."""
        if self.p.respondent_id is None:
            return {}
        if items is None:
            return await self.repo.answers(self.p.respondent_id, round=self.p.round)
        found = {}
        for item in items:
            if (answer := await self.answer(item)) is not None:
                found[item] = answer
        return found

    async def answer(self, item: str) -> Answer | None:
        """The participant's answer to one item, or None."""
        if self.p.respondent_id is None:
            return None
        return await self.repo.answer(self.p.respondent_id, item, round=self.p.round)

    async def send(self, screen: Screen) -> None:
        """Send a screen to the participant."""
        await send_screen(self.context, self.p.chat_id, screen)

    async def say(self, text: str) -> None:
        """Send one short message."""
        await self.send(Screen((text,)))

    async def show_current(
        self, *, brief: bool = False, note: str | None = None, resumed: bool = False
    ) -> None:
        """Ask the current question again (or show the review, or the thank-you), after `note`.

        `brief`: a long screen (the consent, the review) is not sent whole again: only its short
        prompt and its buttons, in one message with the note. `resumed`: for someone coming
        back to it, with what they need to pick up the thread.
        """
        handler = kind_of(self.views, self.p.step)
        # Only what the screen shows: a stance's screen one answer, the profile's none.
        answers = await self.answers(handler.shown(self.views, self.p.step) if handler else ())
        if self.journey.returning:  # a later round: how everyone answered the one before
            self.views.feedback = await self.services.feedback(self.p)
        shown = screen(self.views, self.p.step, answers, resumed=resumed)
        short = prompt(self.views, self.p.step, answers) if brief and shown.long else shown
        if short.blocks != shown.blocks:  # the prompt, under the note, in one message
            await self.send(Screen((*([note] if note else []), *short.blocks), short.keyboard))
            return
        if note:
            await self.say(note)
        await self.send(shown)

    async def ask_again(self) -> None:
        """After an interjection (the help, a file, the offer to switch language): the current
        question again, briefly, so its live buttons are on the newest message. Nothing after
        the thank-you or a refusal, which ask nothing."""
        if self.p.step not in (Step.DONE, Step.DECLINED):
            await self.show_current(brief=True)

    async def enter(self, step: str, *, editing: bool | None = None) -> None:
        """Move to `step` (inside a transaction): store it and note the item as reached.

        An edit begun from the review carries on until the review is reached again.
        """
        if editing is None:
            editing = self.p.editing and step != Step.REVIEW
        unchanged = self.repo.participant_writes == self._known_at
        await self.repo.set_step(self.p.user_id, step, now=self.now, editing=editing)
        # Only this move since `p` was read: `reload` can build them moved (`set_step` writes
        # the step, the editing flag and blocked = 0 of what a Participant holds).
        self._moved = (step, editing) if unchanged else None
        self._known_at = self.repo.participant_writes if unchanged else -1
        item = self.journey.item(step)
        if item and self.p.respondent_id is not None:
            await self.repo.reach(
                self.p.respondent_id, item, round=self.p.round,
                version=self.services.content.version, now=self.now,
            )  # fmt: skip

    async def hint(self, text: str) -> None:
        """Say what went wrong, briefly, then ask the current question again (only its short
        prompt, with the hint, when the screen is long)."""
        if self.p.step == Step.LANGUAGE:  # the language screen is its own (trilingual) hint
            await self.show_current()
        elif self.p.step in (Step.DONE, Step.DECLINED):  # no question: the hint says it all
            await self.say(f"<i>{text}</i>")
        else:
            await self.show_current(brief=True, note=f"<i>{text}</i>")

    # Taps -------------------------------------------------------------------------------------

    @property
    def query(self) -> CallbackQuery:
        """The tapped button's query (taps only)."""
        query = self.update.callback_query
        assert query is not None
        return query

    def tapped_label(self) -> str:
        """The label of the button that was tapped, read from the keyboard the bot sent."""
        query = self.update.callback_query
        message = query.message if query else None
        if query is None or not isinstance(message, Message) or not message.reply_markup:
            return "…"
        for row in message.reply_markup.inline_keyboard:
            for key in row:
                if key.callback_data == query.data:
                    return key.text
        return "…"

    async def mark(self, label: str) -> None:
        """Leave the chosen answer on the question's message, instead of its keyboard."""
        # "Message is not modified" or too old to edit: the answer is stored all the same.
        with contextlib.suppress(BadRequest):
            await replies.edit_keyboard(self.context.bot, self.query, chosen_keyboard(label))

    async def advance(self, label: str | None, *, resumed: bool = False) -> None:
        """After the answer's writes were committed: mark the choice, then show the next step
        (`resumed`: as for someone coming back to it)."""
        await self.query.answer()
        if label:
            await self.mark(label)
        await self.reload()
        await self.show_current(resumed=resumed)

    async def refuse_tap(self, why: str) -> None:
        """A button from an earlier question, or data this bot never sent: hint, ask again."""
        logger.debug("%s callback from respondent step %s", why, self.p.step)
        await self.query.answer(
            self._("That button belongs to an earlier question. Here is the current one.")
        )
        await self.clear_keyboard()
        await self.show_current(brief=True)

    async def clear_keyboard(self) -> None:
        """Take the buttons off the tapped message: newer ones below are the live ones."""
        # Already without a keyboard, or too old to edit: nothing to tidy then.
        with contextlib.suppress(BadRequest):
            await replies.edit_keyboard(self.context.bot, self.query, None)
