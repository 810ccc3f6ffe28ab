export const config = {
  recaptchaSiteKey: import.meta.env.VITE_RECAPTCHA_SITE_KEY,
  algoliaSearchKey: import.meta.env.VITE_ALGOLIA_SEARCH_KEY,
  stripePublishableKey: import.meta.env.VITE_STRIPE_PUBLISHABLE_KEY,
  supabaseAnonKey: import.meta.env.VITE_SUPABASE_ANON_KEY,
};
