import type { PlanName } from '@flowsmith/contracts';
import type { PrismaService } from '../prisma.service';

export class AccountsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Finds the user by e-mail or creates it on `plan`. `setPlan` also moves an existing user to
   * that plan (an operator's explicit choice); otherwise an existing user keeps its plan.
   */
  /** The plan of an owner: its organization's when it has one, else the user's (an owner id is a user id then). */
  async planOfOwner(ownerId: string, organizationId: string | null): Promise<PlanName | null> {
    const owner = organizationId
      ? await this.prisma.organization.findUnique({ where: { id: organizationId }, select: { plan: true } })
      : await this.prisma.user.findUnique({ where: { id: ownerId }, select: { plan: true } });
    return owner?.plan ?? null;
  }

  async ensureUser(email: string, plan: PlanName, setPlan: boolean) {
    return this.prisma.user.upsert({ where: { email }, create: { email, plan }, update: setPlan ? { plan } : {} });
  }

  async ensureOrganization(name: string, plan: PlanName, setPlan: boolean) {
    return this.prisma.organization.upsert({ where: { name }, create: { name, plan }, update: setPlan ? { plan } : {} });
  }

  async ensureMembership(userId: string, organizationId: string, role: 'owner' | 'member') {
    return this.prisma.membership.upsert({
      where: { userId_organizationId: { userId, organizationId } },
      create: { userId, organizationId, role },
      update: {},
    });
  }
}
