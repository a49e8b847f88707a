import { DynamicModule, Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service';
import { AccountsRepository } from './repositories/accounts.repository';
import { ApiKeysRepository } from './repositories/api-keys.repository';
import { DiagramsRepository } from './repositories/diagrams.repository';
import { FoldersRepository } from './repositories/folders.repository';
import { GenerationsRepository } from './repositories/generations.repository';
import { IdempotencyRepository } from './repositories/idempotency.repository';
import { SharesRepository } from './repositories/shares.repository';
import { UsageRepository } from './repositories/usage.repository';
import { WebhooksRepository } from './repositories/webhooks.repository';

const REPOSITORIES = [
  AccountsRepository,
  ApiKeysRepository,
  DiagramsRepository,
  FoldersRepository,
  GenerationsRepository,
  IdempotencyRepository,
  SharesRepository,
  UsageRepository,
  WebhooksRepository,
];

export interface DatabaseOptions {
  databaseUrl: string;
  poolSize?: number;
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: PrismaService, useFactory: () => new PrismaService(options.databaseUrl, options.poolSize) },
        ...REPOSITORIES.map((repository) => ({
          provide: repository,
          useFactory: (prisma: PrismaService) => new repository(prisma),
          inject: [PrismaService],
        })),
      ],
      exports: [PrismaService, ...REPOSITORIES],
    };
  }
}
