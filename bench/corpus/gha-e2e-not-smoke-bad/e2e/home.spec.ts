import { test, expect } from '@playwright/test';
test('home @smoke', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('main')).toBeVisible();
});
