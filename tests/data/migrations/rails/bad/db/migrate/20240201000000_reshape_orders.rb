class ReshapeOrders < ActiveRecord::Migration[7.1]
  def change
    change_column :orders, :total, :decimal # expect: migration-destructive migration-locking migration-irreversible
    rename_column :orders, :state, :status # expect: migration-destructive
    add_index :orders, :user_id # expect: migration-locking
    change_table :users do |t|
      t.remove :nickname # expect: migration-destructive
    end
  end
end
