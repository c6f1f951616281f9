import { router } from "../../../trpc";
import { login } from "./login";
import { loginMfa } from "./login-mfa";
import { logout } from "./logout";
import { me } from "./me";

export const authRouter = router({ login, loginMfa, logout, me });
