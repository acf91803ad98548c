import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AnyRole, type AuthenticatedRequest, type CommandContext, Ctx, Public, RateLimit } from '#platform';
import { ChangePasswordDto, LoginDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Password sign-in. Wrong password and unknown e-mail get the same 401; a locked account gets 423 with lockedUntil. */
  @Post('login')
  @HttpCode(200)
  @Public()
  @RateLimit('login')
  login(@Body() dto: LoginDto, @Req() request: AuthenticatedRequest) {
    return this.auth.login(dto.email, dto.password, String(request.id));
  }

  /** Ends the current session: its token stops working at once. */
  @Post('logout')
  @HttpCode(204)
  @AnyRole()
  @ApiBearerAuth()
  async logout(@Ctx() ctx: CommandContext): Promise<void> {
    await this.auth.logout(ctx);
  }

  @Get('me')
  @AnyRole()
  @ApiBearerAuth()
  me(@Ctx() ctx: CommandContext) {
    return this.auth.me(ctx);
  }

  /** Changes the caller's own password and signs out their other sessions. */
  @Post('password')
  @HttpCode(204)
  @AnyRole()
  @ApiBearerAuth()
  async changePassword(@Ctx() ctx: CommandContext, @Body() dto: ChangePasswordDto): Promise<void> {
    await this.auth.changePassword(ctx, dto);
  }
}
