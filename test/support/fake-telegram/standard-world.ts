/**
 * The users and chats most Telegram tests need: two people with private chats,
 * a group and a forum supergroup that the first person created.
 */
import type { FakeTelegramOptions } from "./fake-telegram.js";

export const USER = 11;
export const OTHER_USER = 12;
export const GROUP = -1001000000001;
export const FORUM = -1001000000002;

export const STANDARD_WORLD: FakeTelegramOptions = {
  users: [
    { id: USER, first_name: "Ada", username: "ada" },
    { id: OTHER_USER, first_name: "Bob" },
  ],
  chats: [
    { id: USER, type: "private" },
    { id: OTHER_USER, type: "private" },
    { id: GROUP, type: "supergroup", title: "Team", members: { [USER]: "creator" } },
    { id: FORUM, type: "supergroup", title: "Projects", is_forum: true, members: { [USER]: "creator" } },
  ],
};
