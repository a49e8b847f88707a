export * from './page-bundle';
